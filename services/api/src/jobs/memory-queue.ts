/**
 * The in-process queue (no REDIS_URL: the desktop). Jobs run one at a time in this process as soon as
 * they are queued, as ingestion did before jobs existed; retries wait on a timer. The last finished
 * jobs are kept (bounded) so their status can still be read.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  backoffDelay,
  DEFAULT_RETRY,
  JobWait,
  type EnqueueOptions,
  type JobData,
  type JobEvent,
  type JobHandler,
  type JobKind,
  type JobQueue,
  type JobRecord,
  type RetryPolicy,
} from './queue.js';

/** Finished jobs kept for their status (the oldest go first). */
const KEEP_FINISHED = 500;

interface Entry {
  record: JobRecord;
  data: JobData;
  dedupe?: string;
  waits: number;
  timer?: NodeJS.Timeout;
}

export function createMemoryQueue(policy: RetryPolicy = DEFAULT_RETRY): JobQueue {
  const handlers = new Map<JobKind, JobHandler>();
  const jobs = new Map<string, Entry>();
  const ready: Entry[] = [];
  const events = new EventEmitter();
  const stop = new AbortController();
  const idleWaiters: Array<() => void> = [];
  let working = false;
  let running: Promise<void> | undefined;
  let finished: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const emit = (e: JobEvent) => events.emit('job', e);
  const busy = () => [...jobs.values()].some((j) => !['completed', 'failed'].includes(j.record.state));

  function settle(): void {
    if (busy()) return;
    for (const w of idleWaiters.splice(0)) w();
  }

  function finish(entry: Entry, state: 'completed' | 'failed', error?: string): void {
    Object.assign(entry.record, { state, finishedAt: new Date().toISOString() });
    if (error !== undefined) entry.record.error = error;
    else delete entry.record.error;
    delete entry.record.retryAt;
    finished.push(entry.record.id);
    if (finished.length > KEEP_FINISHED) {
      for (const id of finished.slice(0, finished.length - KEEP_FINISHED)) jobs.delete(id);
      finished = finished.slice(-KEEP_FINISHED);
    }
    emit({ id: entry.record.id, type: state, ...(error ? { error } : {}) });
  }

  function later(entry: Entry, delay: number, error: string): void {
    Object.assign(entry.record, {
      state: 'retrying',
      error,
      retryAt: new Date(Date.now() + delay).toISOString(),
    });
    emit({ id: entry.record.id, type: 'retrying', error });
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.record.state = 'waiting';
      ready.push(entry);
      pump();
    }, delay);
    entry.timer.unref();
  }

  async function run(entry: Entry): Promise<void> {
    const handler = handlers.get(entry.record.kind);
    const rec = entry.record;
    if (!handler) return finish(entry, 'failed', `no handler for ${rec.kind} jobs`);
    rec.state = 'active';
    try {
      await handler({
        id: rec.id,
        data: entry.data,
        attempt: rec.attemptsMade + 1,
        attempts: rec.attempts,
        signal: stop.signal,
        progress: async (p) => {
          rec.progress = { done: p.done, total: p.total, ...(p.step ? { step: p.step } : {}) };
          emit({ id: rec.id, type: 'progress', progress: rec.progress });
        },
      });
      entry.waits = 0;
      finish(entry, 'completed');
    } catch (err) {
      const message = (err as Error).message;
      if (stop.signal.aborted) return; // the process is stopping: the job's work is taken up at next start
      if (err instanceof JobWait) return later(entry, backoffDelay(policy, ++entry.waits), message);
      rec.attemptsMade++;
      if (rec.attemptsMade >= rec.attempts) return finish(entry, 'failed', message);
      later(entry, backoffDelay(policy, rec.attemptsMade), message);
    }
  }

  function pump(): void {
    if (!working || running || stop.signal.aborted) return settle();
    const next = ready.shift();
    if (!next) return settle();
    running = run(next).finally(() => {
      running = undefined;
      pump();
    });
  }

  return {
    kind: 'in-process',
    get working() {
      return working;
    },
    async enqueue(kind, data, opts: EnqueueOptions = {}) {
      if (opts.dedupe) {
        const same = [...jobs.values()].find(
          (j) => j.dedupe === opts.dedupe && !['completed', 'failed'].includes(j.record.state),
        );
        if (same) {
          // The person's upload met the system's job for the same document (queued at start): it is
          // theirs to follow now.
          if (opts.owner && !same.record.owner) same.record.owner = opts.owner;
          return same.record.id;
        }
      }
      const id = `job_${randomBytes(8).toString('hex')}`;
      const entry: Entry = {
        data,
        waits: 0,
        ...(opts.dedupe ? { dedupe: opts.dedupe } : {}),
        record: {
          id,
          kind,
          state: 'waiting',
          progress: { done: 0, total: 0 },
          attemptsMade: 0,
          attempts: policy.attempts,
          ...(data.documentId ? { documentId: data.documentId } : {}),
          ...(opts.owner ? { owner: opts.owner } : {}),
          createdAt: new Date().toISOString(),
        },
      };
      jobs.set(id, entry);
      ready.push(entry);
      pump();
      return id;
    },
    async get(id) {
      const j = jobs.get(id);
      return j && { ...j.record, progress: { ...j.record.progress } };
    },
    handle(kind, handler) {
      handlers.set(kind, handler);
    },
    async schedule(kind, id, everyMs) {
      // One job of the schedule at a time (its id is the dedupe key, as POST /api/backups uses): a tick
      // while one waits or runs adds none.
      const t = setInterval(() => void this.enqueue(kind, {}, { dedupe: id }), everyMs);
      t.unref();
      timers.add(t);
    },
    async work() {
      working = true;
      pump();
    },
    on(listener) {
      events.on('job', listener);
      return () => events.off('job', listener);
    },
    idle() {
      if (!busy()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async check() {
      return { ok: true, detail: `in-process queue: ${working ? 'working' : 'not working'}` };
    },
    async close() {
      stop.abort();
      for (const t of timers) clearInterval(t);
      for (const j of jobs.values()) if (j.timer) clearTimeout(j.timer);
      await running;
      for (const w of idleWaiters.splice(0)) w();
    },
  };
}
