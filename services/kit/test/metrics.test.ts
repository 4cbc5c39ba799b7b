/**
 * The kit's metrics registry: metrics declared and observed before prom-client has loaded (start-up does
 * not wait for it) are all there once it has; the pool gauges read what the pools are doing at scrape time.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry, serviceMetrics, trackPool } from '../src/index.js';

describe('MetricsRegistry', () => {
  it('applies what was declared and observed before loading, then counts directly', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('t_things_total', 'things', ['kind']);
    c.inc({ kind: 'a' });
    c.inc({ kind: 'a' }, 2);
    const h = r.histogram('t_seconds', 'time', [], [1, 5]);
    h.observe({}, 3);
    await r.load();
    c.inc({ kind: 'b' });
    const { text, contentType } = await r.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('t_things_total{kind="a"} 3');
    expect(text).toContain('t_things_total{kind="b"} 1');
    expect(text).toContain('t_seconds_bucket{le="1"} 0');
    expect(text).toContain('t_seconds_bucket{le="5"} 1');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('reads the pools open at scrape time, and forgets a closed one', async () => {
    const app = Fastify();
    serviceMetrics(app);
    const pool = { totalCount: 7, idleCount: 2, waitingCount: 3 };
    const untrack = trackPool('unit', pool, 8);
    const scrape = async () => (await app.inject('/metrics')).body;
    let text = await scrape();
    expect(text).toContain('msi_db_pool_in_use{database="unit"} 5');
    expect(text).toContain('msi_db_pool_idle{database="unit"} 2');
    expect(text).toContain('msi_db_pool_waiting{database="unit"} 3');
    expect(text).toContain('msi_db_pool_max{database="unit"} 8');
    pool.idleCount = 7;
    expect(await scrape()).toContain('msi_db_pool_in_use{database="unit"} 0');
    untrack();
    text = await scrape();
    expect(text).toContain('# TYPE msi_db_pool_in_use gauge');
    expect(text).not.toContain('database="unit"');
    await app.close();
  });

  it('guards GET /metrics with the token when one is set', async () => {
    const app = Fastify();
    serviceMetrics(app, { token: 'tok' });
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer tok2' } })).statusCode,
    ).toBe(401);
    const ok = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer tok' } });
    expect(ok.statusCode).toBe(200);
    // A second call (a service's own metrics) gets the same, and registers no second route.
    expect(serviceMetrics(app)).toBe(serviceMetrics(app, { token: 'other' }));
    await app.close();
  });
});
