/**
 * Cached knowledge searches: the questions of corpus-questions.json over the real manual (or the sample
 * docs when ../shared/corpus is not there), each asked three times in a mixed order, as repeated
 * questions come in. Without a cache, with the in-process cache (desktop) and with the Redis cache
 * (REDIS_URL, default redis://127.0.0.1:6379; a prefix of its own, removed after). Figures: hit rate,
 * p50 of a miss and of a hit, and the latency saved per hit (p50 of misses minus p50 of hits); then an
 * upload's invalidation (the next searches miss again).
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connectRedis, createLogger } from '@msi/kit';
import {
  memorySearchCache,
  redisSearchCache,
  type SearchCache,
} from '../services/api/src/knowledge/search-cache.js';
import {
  CORPUS_DIR,
  loadQuestions,
  SAMPLE_DOCS_DIR,
  startRetrieval,
  type CorpusQuestion,
  type SampleQuestion,
} from '../test/support/retrieval.js';
import { figure, printFigures, summarize } from './lib.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const corpus = existsSync(CORPUS_DIR);
const docsDir = corpus ? CORPUS_DIR : SAMPLE_DOCS_DIR;
const questions = loadQuestions<CorpusQuestion | SampleQuestion>(
  corpus ? 'corpus-questions.json' : 'sample-questions.json',
).map((q) => q.question);
// Each question three times, in a fixed mixed order: a step through the list coprime with its length
// visits every question once per round.
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
let step = 7;
while (gcd(step, questions.length) !== 1) step++;
const workload = Array.from(
  { length: questions.length * 3 },
  (_, i) => questions[(i * step) % questions.length]!,
);

async function run(name: string, cache: SearchCache | false): Promise<void> {
  const { kb, stop } = await startRetrieval(docsDir, 'sqlite', `bench_cache_${name}`, { cache });
  try {
    await kb.start();
    await kb.idle();
    await kb.search('warm up the embedder and the database', 5);
    const hits: number[] = [];
    const misses: number[] = [];
    for (const q of workload) {
      const before = cache ? cache.stats().hits : 0;
      const t = performance.now();
      await kb.search(q, 5);
      const ms = performance.now() - t;
      (cache && cache.stats().hits > before ? hits : misses).push(ms);
    }
    const total = hits.length + misses.length;
    const m = summarize(misses);
    console.log(`${name}: ${total} searches over ${questions.length} questions, ${hits.length} hits`);
    figure(`cache.${name}.hit_rate`, hits.length / total, 'ratio');
    figure(`cache.${name}.miss_p50_ms`, m.p50, 'ms');
    if (hits.length) {
      const h = summarize(hits);
      figure(`cache.${name}.hit_p50_ms`, h.p50, 'ms');
      figure(`cache.${name}.saved_per_hit_p50_ms`, m.p50 - h.p50, 'ms');
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      // What the workload took with the cache, against every search being a miss.
      figure(
        `cache.${name}.workload_time_saved_ratio`,
        1 - (mean(hits) * hits.length + mean(misses) * misses.length) / (mean(misses) * total),
        'ratio',
      );
      // An upload invalidates: the same question misses once, then hits again.
      await kb.upload({
        filename: 'bench-extra.md',
        content: '# Extra\n\nA bench document about cache invalidation.\n',
      });
      await kb.idle();
      const h0 = cache && cache.stats().hits;
      await kb.search(workload[0]!, 5);
      const missedAfterUpload = cache && cache.stats().hits === h0;
      await kb.search(workload[0]!, 5);
      const hitAgain = cache && cache.stats().hits === (h0 as number) + 1;
      console.log(
        `${name}: after an upload the next search ${missedAfterUpload ? 'missed' : 'HIT (stale!)'}, the one after ${hitAgain ? 'hit' : 'missed'}`,
      );
    }
  } finally {
    await stop();
  }
}

await run('none', false);
await run('in_process', memorySearchCache());
const prefix = `msi-bench-cache-${randomBytes(4).toString('hex')}:`;
const redis = await connectRedis({
  url: REDIS_URL,
  prefix,
  log: createLogger('bench', 'warn'),
  connectTimeoutMs: 2000,
}).catch(() => undefined);
if (redis) {
  try {
    await run('redis', redisSearchCache(redis));
  } finally {
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.close();
  }
} else console.log(`redis: ${REDIS_URL} does not answer; no Redis figures`);
printFigures();
