/**
 * REDIS_URL: what every API instance must share lives in Redis (#12). Two real API processes on one Redis
 * (and one back end): the per-person rate limit holds across both, exchanged tokens are kept in Redis
 * and dropped there when their sign-in ends, a Redis that goes away is a 503 naming it (not a 500) and
 * its return heals by itself. Each run uses a key prefix of its own on the shared test Redis.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { tcpProxy, type TcpProxy } from '../../../test/support/database.js';
import { loginWithPassword } from '../../../test/support/idp.js';
import { claimsOf, signOut, waitUntil } from '../../../test/support/revocation.js';
import type { RunningService } from '../../../test/support/services.js';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 5;

let stack: Backend;
let redis: Redis;
let proxy: TcpProxy;
let prefix: string;
let apis: RunningService[];

beforeAll(async () => {
  prefix = `msi-t-${randomBytes(4).toString('hex')}:`;
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  // The API instances reach Redis through a proxy the test can cut.
  proxy = await tcpProxy(new URL(REDIS_URL));
  stack = await startBackend();
  const env = {
    REDIS_URL: proxy.via(REDIS_URL),
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_REQUESTS: String(LIMIT),
  };
  apis = [await stack.startApi(env), await stack.startApi(env)];
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});

describe('API instances sharing Redis', () => {
  it(`a limit of ${LIMIT} a minute per person holds across two instances (within N+1)`, async () => {
    const token = await stack.login('riley_agent');
    const statuses: number[] = [];
    for (let i = 0; i < 3 * LIMIT; i++)
      statuses.push((await call(apis[i % 2]!.url, token, 'GET', '/api/me')).status);
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(LIMIT);
    expect(ok).toBeLessThanOrEqual(LIMIT + 1);
    expect(statuses.slice(ok).every((s) => s === 429)).toBe(true);
    const over = await call(apis[1]!.url, token, 'GET', '/api/me');
    expect(over.status).toBe(429);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(over.body).toEqual({
      error: 'rate_limited',
      message: `too many requests: at most ${LIMIT} per minute; try again in ${wait} s`,
    });
    // The counter is the person's, in Redis: someone else is not affected.
    expect((await call(apis[0]!.url, await stack.login('james_smith'), 'GET', '/api/me')).status).toBe(200);
  });

  it('keeps exchanged tokens in Redis per sign-in and drops them when the sign-in ends', async () => {
    const tokens = await loginWithPassword(stack.idp.issuer, 'alex_agent');
    const sid = String(claimsOf(tokens.access_token).sid);
    // The home page reads tickets: the API exchanges the person's token for the ticketing server's.
    const home = await call(apis[0]!.url, tokens.access_token, 'GET', '/api/home');
    expect(home.status).toBe(200);
    const key = `${prefix}xtoken:${sid}`;
    const fields = await redis.hkeys(key);
    expect(fields.some((f) => f.endsWith(`\n${stack.ticketing.url}`))).toBe(true);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    // The other instance uses the same exchanged token (no exchange of its own): same value after.
    const before = await redis.hgetall(key);
    expect((await call(apis[1]!.url, tokens.access_token, 'GET', '/api/home')).status).toBe(200);
    expect(await redis.hgetall(key)).toEqual(before);

    await signOut(stack.idp.issuer, tokens.id_token);
    await waitUntil(
      'the exchanged tokens of the ended sign-in leave Redis',
      async () => !(await redis.exists(key)),
      8000,
    );
  });

  it("two sign-ins of one person keep their own exchanged tokens; ending one leaves the other's working", async () => {
    const first = await loginWithPassword(stack.idp.issuer, 'linda_baker');
    const second = await loginWithPassword(stack.idp.issuer, 'linda_baker');
    const keyOf = (t: string) => `${prefix}xtoken:${String(claimsOf(t).sid)}`;
    expect((await call(apis[0]!.url, first.access_token, 'GET', '/api/home')).status).toBe(200);
    // The same instance, the same person, another sign-in: its own exchange, under its own sign-in.
    expect((await call(apis[0]!.url, second.access_token, 'GET', '/api/home')).status).toBe(200);
    expect(await redis.exists(keyOf(first.access_token))).toBe(1);
    expect(await redis.exists(keyOf(second.access_token))).toBe(1);
    await signOut(stack.idp.issuer, first.id_token);
    // Waited for at the back end's own API (its limit is not the 5 a minute of these two).
    await waitUntil('the first sign-in is refused', async () => {
      return (await call(stack.api.url, first.access_token, 'GET', '/api/me')).status === 401;
    });
    await waitUntil(
      'its exchanged tokens leave Redis',
      async () => !(await redis.exists(keyOf(first.access_token))),
    );
    expect(await redis.exists(keyOf(second.access_token))).toBe(1);
    const home = await call(apis[0]!.url, second.access_token, 'GET', '/api/home');
    expect(home.status).toBe(200);
    // Nothing the page needs was refused: the ticketing server took the second sign-in's token.
    expect(home.body).toMatchObject({ unavailable: [], myTickets: { total: expect.any(Number) } });
  });

  it('Redis away: 503 unavailable naming Redis and readiness says so; back: it heals by itself', async () => {
    const token = await stack.login('sam_supervisor');
    expect((await call(apis[0]!.url, token, 'GET', '/api/me')).status).toBe(200);
    await proxy.cut();
    try {
      const down = await call(apis[0]!.url, token, 'GET', '/api/me');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/Redis/) });
      const ready = await fetch(`${apis[0]!.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toMatch(/redis/i);
    } finally {
      await proxy.restore();
    }
    await waitUntil(
      'the API answers again once Redis is back',
      async () => (await call(apis[0]!.url, token, 'GET', '/api/me')).status === 200,
      15_000,
      100,
    );
  });
});
