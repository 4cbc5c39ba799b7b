/**
 * Redis for state every instance of a service must share (`REDIS_URL`; docs/scale-out.md): rate-limit
 * counters, approvals, revoked and exchanged tokens, turn event streams. One client per service for
 * commands; `blocking()` gives a connection of its own to whatever blocks one (XREAD BLOCK, SUBSCRIBE).
 *
 * Requests fail fast while Redis is away (no offline queue: a person gets 503 `unavailable` naming it,
 * not a request that hangs) and the client reconnects by itself; `/readyz` reports it through
 * `storeCheck`. Start-up waits `connectTimeoutMs` for the first connection, then stops the service with
 * DatabaseUnavailableError (exit 69, the supervisor or orchestrator restarts it).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { maskSecret } from './config.js';
import { DatabaseUnavailableError } from './database-errors.js';
import type { Logger } from './log.js';

export interface SharedRedis {
  /** For commands (not for blocking ones). */
  readonly client: Redis;
  /** "Redis at redis://127.0.0.1:6379" (never the password), as errors and /readyz name it. */
  readonly label: string;
  /** `prefix + parts.join(':')`: every key of this deployment. */
  key(...parts: string[]): string;
  /** A new connection for a command that blocks (closed with the others by `close`). */
  blocking(name: string): Redis;
  /** For storeCheck (readiness). */
  ping(): Promise<void>;
  /** A command's failure as the 503 every service answers while Redis is away. */
  unavailable(cause: unknown): DatabaseUnavailableError;
  close(): Promise<void>;
}

export interface RedisConnectOptions {
  url: string;
  /** Keys start with this (REDIS_KEY_PREFIX). */
  prefix: string;
  log: Logger;
  /** How long start-up waits for the first connection (ms). */
  connectTimeoutMs?: number;
}

const clientOptions = (name: string, queue: boolean): RedisOptions => ({
  connectionName: name,
  lazyConnect: true,
  // Commands fail at once while Redis is away; a blocking reader's command waits for the connection.
  enableOfflineQueue: queue,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  // Back off to once every 2 s while Redis is away; never give up (it comes back, so do we).
  retryStrategy: (times) => Math.min(times * 100, 2000),
});

export async function connectRedis(opts: RedisConnectOptions): Promise<SharedRedis> {
  const label = `Redis at ${maskSecret(opts.url)}`;
  const clients = new Set<Redis>();
  const open = (name: string, queue = false) => {
    const c = new Redis(opts.url, clientOptions(name, queue));
    let down = false;
    c.on('error', (err: Error) => {
      if (!down) opts.log.warn({ err: err.message, connection: name }, `${label} is unreachable`);
      down = true;
    });
    c.on('ready', () => {
      if (down) opts.log.info({ connection: name }, `${label} is back`);
      down = false;
    });
    clients.add(c);
    return c;
  };
  const client = open('msi');
  const timeoutMs = opts.connectTimeoutMs ?? 30_000;
  // The first attempt may fail; the client's own retries go on, so wait for "ready" up to the deadline.
  let firstError: unknown;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
    client.connect().catch((err: unknown) => (firstError ??= err));
  });
  if (!ready) {
    client.disconnect();
    clients.clear();
    throw new DatabaseUnavailableError(
      label,
      firstError ?? new Error(`no connection within ${timeoutMs} ms`),
    );
  }
  return {
    client,
    label,
    key: (...parts) => opts.prefix + parts.join(':'),
    blocking(name) {
      const c = open(name, true);
      c.connect().catch(() => undefined);
      return c;
    },
    async ping() {
      await client.ping();
    },
    unavailable: (cause) => new DatabaseUnavailableError(label, cause),
    async close() {
      await Promise.all(
        [...clients].map((c) =>
          c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : Promise.resolve(c.disconnect()),
        ),
      );
      clients.clear();
    },
  };
}
