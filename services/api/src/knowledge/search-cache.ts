/**
 * Cached knowledge searches (docs/jobs.md, "Jobs and caching"). A key is a hash of everything that
 * decides the results: the query, k, the legs, the embedder and the generation of the documents. Any
 * change of the documents or their vectors (add, remove, re-chunk, each embedded batch, a failure)
 * bumps the generation, so an invalidation is one INCR and old entries are never read again; they
 * expire with their TTL. In Redis (REDIS_URL) the generation and entries are shared by every API
 * instance and worker; without it they live in this process.
 */
import { createHash } from 'node:crypto';
import type { SharedRedis } from '@msi/kit';
import type { Citation } from '../contract.js';

export interface SearchCache {
  generation(): Promise<number>;
  bump(): Promise<void>;
  get(key: string): Promise<Citation[] | undefined>;
  set(key: string, value: Citation[]): Promise<void>;
  /** Hits and misses since start (the bench's hit rate). */
  stats(): { hits: number; misses: number };
}

export function searchKey(generation: number, embedder: string, legs: string, k: number, q: string): string {
  const h = createHash('sha256')
    .update(JSON.stringify([embedder, legs, k, q.replace(/\s+/g, ' ')]))
    .digest('hex')
    .slice(0, 32);
  return `${generation}:${h}`;
}

const DEFAULT_TTL_MS = 10 * 60_000;

/** An LRU of at most `max` results in this process. */
export function memorySearchCache(max = 500, ttlMs = DEFAULT_TTL_MS): SearchCache {
  let gen = 0;
  const entries = new Map<string, { at: number; value: Citation[] }>();
  const stats = { hits: 0, misses: 0 };
  return {
    generation: async () => gen,
    async bump() {
      gen++;
      entries.clear();
    },
    async get(key) {
      const e = entries.get(key);
      if (!e || Date.now() - e.at > ttlMs) {
        stats.misses++;
        return undefined;
      }
      entries.delete(key); // most recently used last
      entries.set(key, e);
      stats.hits++;
      return e.value;
    },
    async set(key, value) {
      entries.set(key, { at: Date.now(), value });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    stats: () => ({ ...stats }),
  };
}

/** The same in Redis: `<prefix>kb:gen` and `<prefix>kb:search:<generation>:<hash>` with a TTL. */
export function redisSearchCache(redis: SharedRedis, ttlMs = DEFAULT_TTL_MS): SearchCache {
  const genKey = redis.key('kb', 'gen');
  const stats = { hits: 0, misses: 0 };
  return {
    async generation() {
      return Number((await redis.client.get(genKey)) ?? 0);
    },
    async bump() {
      await redis.client.incr(genKey);
    },
    async get(key) {
      const raw = await redis.client.get(redis.key('kb', 'search', key));
      if (raw === null) {
        stats.misses++;
        return undefined;
      }
      stats.hits++;
      return JSON.parse(raw) as Citation[];
    },
    async set(key, value) {
      await redis.client.set(redis.key('kb', 'search', key), JSON.stringify(value), 'PX', ttlMs);
    },
    stats: () => ({ ...stats }),
  };
}
