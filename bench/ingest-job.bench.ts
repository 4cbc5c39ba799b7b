/**
 * Ingestion of the real manual (../shared/corpus, both .txt files) as jobs: each document one `ingest`
 * job, progress reported per batch of 32 chunks. In-process (the desktop's queue), then on BullMQ with a
 * worker in this process when Redis answers (REDIS_URL, default redis://127.0.0.1:6379; a prefix of its
 * own, removed after). Real Chroma, SQLite, the offline embedder. Figures: seconds, chunks per second,
 * progress events heard, and how long after the enqueue the first progress event came.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '@msi/kit';
import { createBullQueue } from '../services/api/src/jobs/bullmq-queue.js';
import { createMemoryQueue } from '../services/api/src/jobs/memory-queue.js';
import type { JobEvent, JobQueue } from '../services/api/src/jobs/queue.js';
import { CORPUS_DIR, startRetrieval } from '../test/support/retrieval.js';
import { figure, printFigures } from './lib.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function run(name: string, jobs: JobQueue): Promise<void> {
  const events: Array<JobEvent & { at: number }> = [];
  const off = jobs.on((e) => events.push({ ...e, at: performance.now() }));
  const { kb, stop } = await startRetrieval(CORPUS_DIR, 'sqlite', `bench_ingest_${name}`, { jobs });
  try {
    await jobs.work();
    const t = performance.now();
    await kb.start();
    await kb.idle();
    // BullMQ's events arrive through a Redis stream: let the last ones come in.
    const docs = await kb.list();
    if (jobs.kind === 'redis') {
      const deadline = Date.now() + 5000;
      while (events.filter((e) => e.type === 'completed').length < docs.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - t) / 1000;
    const chunks = docs.reduce((n, d) => n + d.chunksDone, 0);
    const progress = events.filter((e) => e.type === 'progress');
    console.log(
      `${name}: ${docs.length} documents (${docs.map((d) => d.status).join(', ')}), ${chunks} chunks, ${progress.length} progress events, ${events.filter((e) => e.type === 'completed').length} jobs completed`,
    );
    figure(`ingest_job.${name}.seconds`, seconds, 's');
    figure(`ingest_job.${name}.chunks_per_second`, chunks / seconds, 'chunks/s');
    figure(`ingest_job.${name}.progress_events`, progress.length, 'events');
    if (progress[0]) figure(`ingest_job.${name}.first_progress_ms`, progress[0].at - t, 'ms');
  } finally {
    off();
    await stop();
    await jobs.close();
  }
}

if (!existsSync(CORPUS_DIR)) {
  console.log(`corpus: ${CORPUS_DIR} is not there; nothing to measure`);
} else {
  await run('in_process', createMemoryQueue());
  if (await redisAnswers()) {
    const prefix = `msi-bench-${randomBytes(4).toString('hex')}:`;
    try {
      await run(
        'bullmq',
        createBullQueue({ url: REDIS_URL, prefix: `${prefix}jobs`, log: createLogger('bench', 'warn') }),
      );
    } finally {
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }
  } else console.log(`redis: ${REDIS_URL} does not answer; in-process figures only`);
}
printFigures();
