import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectRedis,
  createLogger,
  DatabaseUnavailableError,
  parseConfig,
  redisSpec,
  storeCheck,
  type SharedRedis,
} from '../src/index.js';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger('test', 'silent');
const open: SharedRedis[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

describe('REDIS_URL', () => {
  it('takes redis:// and rediss:// URLs, refuses anything else naming the variable, masks the password', () => {
    expect(parseConfig(redisSpec(), {}).REDIS_URL).toBeUndefined();
    expect(parseConfig(redisSpec(), { REDIS_URL: 'rediss://:pw@cache:6380/2' }).REDIS_URL).toBe(
      'rediss://:pw@cache:6380/2',
    );
    expect(() => parseConfig(redisSpec(), { REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL/);
    expect(() => parseConfig(redisSpec(), { REDIS_URL: 'redis://u:secret@' })).toThrow(/REDIS_URL/);
    try {
      parseConfig(redisSpec(), { REDIS_URL: 'redis://u:secret@:x' });
    } catch (err) {
      expect(String(err)).not.toContain('secret');
    }
  });
});

describe('connectRedis', () => {
  it('connects to the real server, prefixes keys, answers readiness', async () => {
    const r = await connectRedis({ url: REDIS_URL, prefix: `msi-test-${process.pid}:`, log });
    open.push(r);
    expect(r.key('turn', 'a')).toBe(`msi-test-${process.pid}:turn:a`);
    await r.client.set(r.key('x'), '1', 'PX', 5000);
    expect(await r.client.get(r.key('x'))).toBe('1');
    expect(await storeCheck(r).check()).toEqual({ ok: true, detail: 'ok' });
    const b = r.blocking('reader');
    expect(await b.ping()).toBe('PONG');
  });

  it('gives up after the connect timeout with the unavailable error naming Redis, not the password', async () => {
    const srv = createServer(); // a port with nothing that speaks Redis... then closed: refused
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const started = Date.now();
    const err = await connectRedis({
      url: `redis://:hunter2@127.0.0.1:${port}`,
      prefix: 'x:',
      log,
      connectTimeoutMs: 600,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(String((err as Error).message)).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(String((err as Error).message)).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
