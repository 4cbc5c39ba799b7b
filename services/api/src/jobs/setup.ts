/**
 * What background work and caching run on, from the config (docs/jobs.md): with REDIS_URL a BullMQ
 * queue and a Redis search cache shared by every API instance and worker; without it, both in this
 * process (the desktop).
 */
import { onShutdown, storeCheck, type Logger, type SharedRedis } from '@msi/kit';
import type { ApiConfig } from '../config.js';
import type { SharedToolLists } from '../mcp-clients.js';
import { redisToolLists } from '../tool-list-cache.js';
import { memorySearchCache, redisSearchCache, type SearchCache } from '../knowledge/search-cache.js';
import { createBullQueue } from './bullmq-queue.js';
import { createMemoryQueue } from './memory-queue.js';
import type { JobQueue } from './queue.js';

export interface Background {
  jobs: JobQueue;
  cache: SearchCache | false;
  /** /readyz checks: the queue (and Redis, when there is one). */
  checks: Array<{ name: string; check: () => Promise<{ ok: boolean; detail: string }> }>;
  /** Whether this process takes jobs (API_WORKERS > 0). */
  works: boolean;
  /** Per-person tool lists shared by every instance (Redis only; each process keeps its own too). */
  toolLists?: SharedToolLists;
}

/** `redis`: the API's one connection (REDIS_URL set), which the search cache and tool lists use. */
export async function openBackground(cfg: ApiConfig, log: Logger, redis?: SharedRedis): Promise<Background> {
  const retry = { attempts: cfg.JOB_ATTEMPTS, backoffMs: cfg.JOB_BACKOFF_MS };
  const works = cfg.API_WORKERS > 0;
  if (!cfg.REDIS_URL || !redis) {
    const jobs = createMemoryQueue(retry);
    onShutdown(() => jobs.close());
    return {
      jobs,
      cache: cfg.SEARCH_CACHE_TTL_MS ? memorySearchCache(500, cfg.SEARCH_CACHE_TTL_MS) : false,
      checks: [],
      works,
    };
  }
  const jobs = createBullQueue({
    url: cfg.REDIS_URL,
    prefix: `${cfg.REDIS_KEY_PREFIX}jobs`,
    log: log.child({ module: 'jobs' }),
    retry,
    concurrency: Math.max(1, cfg.API_WORKERS),
  });
  // Shutdown runs in reverse order: the queue (and a running job) stops before Redis is closed.
  onShutdown(() => jobs.close());
  return {
    jobs,
    cache: cfg.SEARCH_CACHE_TTL_MS ? redisSearchCache(redis, cfg.SEARCH_CACHE_TTL_MS) : false,
    checks: [storeCheck(redis, 'redis'), { name: 'jobs', check: () => jobs.check() }],
    works,
    toolLists: redisToolLists(redis),
  };
}
