/**
 * Where the API keeps the tokens it exchanged for the MCP servers (token-exchange.ts), per person,
 * audience and sign-in (`sid`), until shortly before they expire. In this process by default; in Redis
 * with REDIS_URL, so every API instance reuses one exchange (docs/scale-out.md). A sign-in that ends
 * (the revocation feed names its `sid`) loses its entries at once.
 *
 * These are bearer tokens: in Redis they are readable by whoever can read that Redis. Keep it on a
 * private network with a password (and TLS, rediss://), as for any store of secrets.
 */
import type { SharedRedis } from '@msi/kit';

export interface CachedToken {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export interface TokenCache {
  get(session: string, key: string): Promise<CachedToken | undefined>;
  /** Keeps `value` for `ttlMs` (at most). */
  set(session: string, key: string, value: CachedToken, ttlMs: number): Promise<void>;
  /** Forgets every token of the sign-in `session`. */
  dropSession(session: string): Promise<void>;
}

/** In this process: a map per sign-in, pruned of what expired as it grows. */
export function memoryTokenCache(now: () => number = Date.now): TokenCache {
  const sessions = new Map<string, Map<string, CachedToken>>();
  let size = 0;
  const prune = () => {
    const t = now();
    size = 0;
    for (const [s, m] of sessions) {
      for (const [k, v] of m) if (v.expiresAt <= t) m.delete(k);
      if (!m.size) sessions.delete(s);
      size += m.size;
    }
  };
  return {
    async get(session, key) {
      return sessions.get(session)?.get(key);
    },
    async set(session, key, value) {
      if (size >= 1000) prune();
      let m = sessions.get(session);
      if (!m) sessions.set(session, (m = new Map()));
      if (!m.has(key)) size++;
      m.set(key, value);
    },
    async dropSession(session) {
      size -= sessions.get(session)?.size ?? 0;
      sessions.delete(session);
    },
  };
}

/**
 * In Redis: one hash per sign-in (`<prefix>xtoken:<sid>`, field = person and audience), so ending the
 * sign-in is one DEL. The hash expires with its newest token; an older field outliving it is only an
 * exchange more. A Redis that is away makes the calls throw the 503 `unavailable` error naming it.
 */
export function redisTokenCache(redis: SharedRedis): TokenCache {
  const hash = (session: string) => redis.key('xtoken', session);
  const run = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw redis.unavailable(err);
    }
  };
  return {
    async get(session, key) {
      const raw = await run(redis.client.hget(hash(session), key));
      if (!raw) return undefined;
      try {
        const v = JSON.parse(raw) as CachedToken;
        return typeof v.token === 'string' && typeof v.expiresAt === 'number' ? v : undefined;
      } catch {
        return undefined;
      }
    },
    async set(session, key, value, ttlMs) {
      await run(
        redis.client
          .multi()
          .hset(hash(session), key, JSON.stringify(value))
          .pexpire(hash(session), Math.max(1, Math.ceil(ttlMs)))
          .exec(),
      );
    },
    async dropSession(session) {
      await run(redis.client.del(hash(session)));
    },
  };
}
