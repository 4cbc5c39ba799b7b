/**
 * Background work off the request path (docs/jobs.md): one interface, two queues. With REDIS_URL the
 * jobs live in Redis (BullMQ, bullmq-queue.ts) and any process running workers takes them; without it
 * they run in this process (memory-queue.ts), as fast as before on the desktop.
 *
 * A job has a handler per kind. A handler reports progress; when it throws, the job is tried again after
 * an exponential backoff until `attempts` failed, then it fails with the error's message as its reason.
 * A handler that cannot run because a dependency is away (Chroma, the database) throws JobWait: the job
 * is tried again with the same backoff (capped) without using an attempt, since it is not the job's fault.
 */
import type { JobStatus } from '../contract.js';

export type JobKind = JobStatus['kind'];

export interface JobData {
  documentId?: string;
}

export interface JobContext {
  id: string;
  data: JobData;
  /** This attempt's number (1 for the first), of `attempts`: the last may record the failure for good. */
  attempt: number;
  attempts: number;
  /** Set when the queue is closing: a handler stops between steps (the job is taken up again later). */
  signal: AbortSignal;
  progress(p: JobProgress): Promise<void>;
}

export type JobProgress = JobStatus['progress'];

export type JobHandler = (ctx: JobContext) => Promise<void>;

/** What a listener hears (the bench counts progress events; tests wait on them). */
export interface JobEvent {
  id: string;
  type: 'progress' | 'retrying' | 'completed' | 'failed';
  progress?: JobProgress;
  error?: string;
}

/** A job's status with who may see it (`owner`: the person's subject; absent when the system started it). */
export type JobRecord = JobStatus & { owner?: string };

export interface EnqueueOptions {
  /** The subject of the person who started it (who may read its status). */
  owner?: string | undefined;
  /** While a job with this key waits or runs, enqueueing another returns that job's id. */
  dedupe?: string;
}

export interface JobQueue {
  /** `in-process` or `redis` (BullMQ), for logs and /readyz. */
  readonly kind: 'in-process' | 'redis';
  enqueue(kind: JobKind, data: JobData, opts?: EnqueueOptions): Promise<string>;
  get(id: string): Promise<JobRecord | undefined>;
  /** The handler of one kind of job (registered before `work`). */
  handle(kind: JobKind, handler: JobHandler): void;
  /**
   * Enqueues a `kind` job every `everyMs`. Redis: a BullMQ job scheduler named `id`, stored in Redis, so
   * several instances setting the same one enqueue each job once, not once each; its first job runs when
   * the schedule is first set or its interval changed (BullMQ's `every`), an instance restarting with the
   * same interval leaves it as it is. In-process: a timer of this process, the first `everyMs` after start.
   */
  schedule(kind: JobKind, id: string, everyMs: number): Promise<void>;
  /** Starts taking jobs in this process (a worker). Without it, jobs only wait for another process. */
  work(): Promise<void>;
  /** Whether this process takes jobs. */
  readonly working: boolean;
  on(listener: (e: JobEvent) => void): () => void;
  /** Resolves when no job waits, runs or waits to be retried (tests, tools and benches). */
  idle(): Promise<void>;
  /** For /readyz: the queue's backend answers. */
  check(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** Throw from a handler when a dependency is away: tried again later, no attempt used. */
export class JobWait extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'JobWait';
  }
}

export interface RetryPolicy {
  /** Attempts before a job fails (JOB_ATTEMPTS). */
  attempts: number;
  /** The first retry's delay (JOB_BACKOFF_MS); each next one doubles it, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 5, backoffMs: 1000, maxBackoffMs: 30_000 };

/** The delay before retry number `n` (1 for the first retry): base · 2^(n-1), capped. */
export function backoffDelay(policy: RetryPolicy, n: number): number {
  const max = policy.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs;
  return Math.min(max, policy.backoffMs * 2 ** Math.min(Math.max(0, n - 1), 20));
}

/** Whether `who` may read the status of `job`: its owner, or (a job the system started) the staff. */
export function mayReadJob(job: JobRecord, who: { sub: string }, isStaff: boolean): boolean {
  return job.owner ? job.owner === who.sub : isStaff;
}
