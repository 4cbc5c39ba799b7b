/**
 * The Redis queue (REDIS_URL set): BullMQ. The API enqueues; every process started as a worker
 * (`node services/api --worker`, or an API with workers on) takes jobs, so uploads survive an API
 * restart and ingestion scales with workers. Retries are BullMQ's own (attempts, a capped exponential
 * backoff); a JobWait moves the job back to delayed without using an attempt. A retry's reason and time
 * are kept next to the progress so the status can say why the job is waiting.
 */
import { DelayedError, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { Logger } from '@msi/kit';
import type { JobStatus } from '../contract.js';
import {
  backoffDelay,
  DEFAULT_RETRY,
  JobWait,
  type JobData,
  type JobEvent,
  type JobHandler,
  type JobKind,
  type JobQueue,
  type RetryPolicy,
} from './queue.js';

/** What a job carries besides its data: who started it, and how often it waited for a dependency. */
interface Payload extends JobData {
  owner?: string;
  waits?: number;
}

/** The progress object stored with a job: counts, and why and until when it waits for a retry. */
interface Progress {
  done: number;
  total: number;
  step?: string;
  error?: string;
  retryAt?: number;
}

export interface BullQueueOptions {
  url: string;
  /** Every key of the queue starts with it (REDIS_KEY_PREFIX + "jobs"). */
  prefix: string;
  log: Logger;
  retry?: RetryPolicy;
  /** Jobs one worker process runs at once (JOB_CONCURRENCY). */
  concurrency?: number;
}

const QUEUE = 'background';

export function createBullQueue(opts: BullQueueOptions): JobQueue {
  const policy = { ...DEFAULT_RETRY, ...opts.retry };
  const connection = { url: opts.url, maxRetriesPerRequest: null, connectionName: 'msi-jobs' };
  // The producer fails fast while Redis is away (an upload gets 503, not a request that hangs).
  const queue = new Queue<Payload>(QUEUE, {
    connection: { ...connection, enableOfflineQueue: false },
    prefix: opts.prefix,
  });
  queue.on('error', (err) => opts.log.warn({ err: err.message }, 'jobs: queue connection error'));
  const handlers = new Map<JobKind, JobHandler>();
  const stop = new AbortController();
  let worker: Worker<Payload> | undefined;
  let events: QueueEvents | undefined;
  const listeners = new Set<(e: JobEvent) => void>();
  const jobOptions = {
    attempts: policy.attempts,
    backoff: { type: 'capped', delay: policy.backoffMs },
    // Finished jobs stay readable for a day (failed ones a week), then Redis forgets them.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };

  async function processJob(job: Job<Payload>, token?: string): Promise<void> {
    const handler = handlers.get(job.name as JobKind);
    if (!handler) throw new Error(`no handler for ${job.name} jobs`);
    const attempts = job.opts.attempts ?? policy.attempts;
    let last: Progress = { done: 0, total: 0, ...(job.progress as Partial<Progress>) };
    try {
      await handler({
        id: job.id!,
        data: job.data,
        attempt: job.attemptsMade + 1,
        attempts,
        signal: stop.signal,
        progress: async (p) => {
          last = { done: p.done, total: p.total, ...(p.step ? { step: p.step } : {}) };
          await job.updateProgress(last);
        },
      });
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof JobWait || stop.signal.aborted) {
        // Not the job's fault: back to delayed with the wait's own backoff, no attempt used.
        const waits = (job.data.waits ?? 0) + 1;
        const retryAt = Date.now() + (stop.signal.aborted ? 0 : backoffDelay(policy, waits));
        await job.updateData({ ...job.data, waits });
        await job.updateProgress({ ...last, error: message, retryAt });
        await job.moveToDelayed(retryAt, token);
        throw new DelayedError();
      }
      if (job.attemptsMade + 1 < attempts) {
        const retryAt = Date.now() + backoffDelay(policy, job.attemptsMade + 1);
        await job.updateProgress({ ...last, error: message, retryAt });
      }
      throw err;
    }
    if (job.data.waits) await job.updateData({ ...job.data, waits: 0 });
  }

  function status(job: Job<Payload>, state: string): JobStatus & { owner?: string } {
    const p: Progress = { done: 0, total: 0, ...(job.progress as Partial<Progress>) };
    const mapped: JobStatus['state'] =
      state === 'completed'
        ? 'completed'
        : state === 'failed'
          ? 'failed'
          : state === 'active'
            ? 'active'
            : state === 'delayed' && p.error
              ? 'retrying'
              : 'waiting';
    const error = mapped === 'failed' ? job.failedReason : mapped === 'retrying' ? p.error : undefined;
    return {
      id: job.id!,
      kind: job.name as JobKind,
      state: mapped,
      progress: { done: p.done, total: p.total, ...(p.step ? { step: p.step } : {}) },
      // BullMQ counts the attempt that succeeded too; ours are the attempts that failed.
      attemptsMade: mapped === 'completed' ? Math.max(0, job.attemptsMade - 1) : job.attemptsMade,
      attempts: job.opts.attempts ?? policy.attempts,
      ...(error ? { error } : {}),
      ...(mapped === 'retrying' && p.retryAt ? { retryAt: new Date(p.retryAt).toISOString() } : {}),
      ...(job.data.documentId ? { documentId: job.data.documentId } : {}),
      ...(job.data.owner ? { owner: job.data.owner } : {}),
      createdAt: new Date(job.timestamp).toISOString(),
      ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
    };
  }

  function listen(): void {
    if (events) return;
    events = new QueueEvents(QUEUE, { connection, prefix: opts.prefix });
    events.on('error', (err) => opts.log.warn({ err: err.message }, 'jobs: events connection error'));
    const send = (e: JobEvent) => listeners.forEach((l) => l(e));
    events.on('progress', ({ jobId, data }) => {
      const p = data as Progress;
      send(
        p.error
          ? { id: jobId, type: 'retrying', error: p.error }
          : {
              id: jobId,
              type: 'progress',
              progress: { done: p.done, total: p.total, ...(p.step ? { step: p.step } : {}) },
            },
      );
    });
    events.on('completed', ({ jobId }) => send({ id: jobId, type: 'completed' }));
    events.on('failed', ({ jobId, failedReason }) => {
      // BullMQ says "failed" for each failed attempt that will be retried too; only the last is final.
      void queue.getJob(jobId).then(async (job) => {
        if (job && (await job.getState()) === 'failed')
          send({ id: jobId, type: 'failed', error: failedReason });
      });
    });
  }

  return {
    kind: 'redis',
    get working() {
      return !!worker;
    },
    async enqueue(kind, data, o = {}) {
      const job = await queue.add(
        kind,
        { ...data, ...(o.owner ? { owner: o.owner } : {}) },
        { ...jobOptions, ...(o.dedupe ? { deduplication: { id: o.dedupe } } : {}) },
      );
      // Deduplicated onto the system's job for the same document (queued at start): the person who
      // uploaded it follows that one.
      if (o.owner && o.dedupe) {
        const stored = await queue.getJob(job.id!);
        if (stored && !stored.data.owner)
          await stored.updateData({ ...stored.data, owner: o.owner }).catch(() => undefined);
      }
      return job.id!;
    },
    async schedule(kind, id, everyMs) {
      // Stored in Redis under `id`: every instance upserts the same scheduler, BullMQ enqueues each once.
      await queue.waitUntilReady();
      // Upserting again would start the schedule over with a job at once: only when it is new or changed.
      if ((await queue.getJobScheduler(id))?.every === everyMs) return;
      await queue.upsertJobScheduler(id, { every: everyMs }, { name: kind, data: {}, opts: jobOptions });
    },
    async get(id) {
      const job = await queue.getJob(id);
      if (!job) return undefined;
      return status(job, await job.getState());
    },
    handle(kind, handler) {
      handlers.set(kind, handler);
    },
    async work() {
      if (worker) return;
      worker = new Worker<Payload>(QUEUE, processJob, {
        connection,
        prefix: opts.prefix,
        concurrency: opts.concurrency ?? 1,
        settings: { backoffStrategy: (attemptsMade) => backoffDelay(policy, attemptsMade) },
      });
      worker.on('error', (err) => opts.log.warn({ err: err.message }, 'jobs: worker connection error'));
      worker.on('failed', (job, err) =>
        opts.log.warn(
          { jobId: job?.id, kind: job?.name, attempt: job?.attemptsMade, err: err.message },
          'jobs: attempt failed',
        ),
      );
      await worker.waitUntilReady();
    },
    on(listener) {
      listen();
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      await queue.waitUntilReady();
      for (;;) {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async check() {
      try {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        return {
          ok: true,
          detail: `redis queue: ${c.waiting} waiting, ${c.active} active, ${c.delayed} to retry, ${c.failed} failed${worker ? '; this process works' : ''}`,
        };
      } catch (err) {
        return { ok: false, detail: `the job queue's Redis does not answer (${(err as Error).message})` };
      }
    },
    async close() {
      stop.abort();
      await worker?.close();
      await events?.close();
      await queue.close();
    },
  };
}
