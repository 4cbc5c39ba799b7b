/**
 * The in-process queue's rules (retries with a doubling, capped backoff; a wait that uses no attempt;
 * one job per dedupe key; progress events; the failure's reason) and how the API's config reads the
 * worker settings and flags. No processes: jobs.test.ts runs the real ones.
 */
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../src/config.js';
import { createMemoryQueue } from '../src/jobs/memory-queue.js';
import { backoffDelay, JobWait, mayReadJob, type JobEvent } from '../src/jobs/queue.js';

const ENV = { API_CLIENT_SECRET: 'a-test-secret-long-enough-for-the-api' };

describe('the in-process job queue', () => {
  it('retries after 1, 2, 4… times the base delay, capped, then fails with the last reason', async () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay({ attempts: 5, backoffMs: 100 }, n))).toEqual([
      100, 200, 400, 800, 1600, 25_600,
    ]);
    expect(backoffDelay({ attempts: 5, backoffMs: 1000 }, 10)).toBe(30_000);

    const q = createMemoryQueue({ attempts: 3, backoffMs: 20 });
    const events: Array<JobEvent & { at: number }> = [];
    q.on((e) => events.push({ ...e, at: Date.now() }));
    const seen: number[] = [];
    q.handle('ingest', async (ctx) => {
      seen.push(ctx.attempt);
      await ctx.progress({ done: 1, total: 2 });
      throw new Error(`broken on attempt ${ctx.attempt} of ${ctx.attempts}`);
    });
    await q.work();
    const id = await q.enqueue('ingest', { documentId: 'kb_1' }, { owner: 'user-1' });
    await q.idle();
    expect(seen).toEqual([1, 2, 3]);
    const job = await q.get(id);
    expect(job).toMatchObject({
      state: 'failed',
      attemptsMade: 3,
      attempts: 3,
      error: 'broken on attempt 3 of 3',
      documentId: 'kb_1',
      owner: 'user-1',
      progress: { done: 1, total: 2 },
    });
    const retries = events.filter((e) => e.type === 'retrying');
    expect(retries.map((e) => e.error)).toEqual(['broken on attempt 1 of 3', 'broken on attempt 2 of 3']);
    const fails = events.filter((e) => e.type === 'failed');
    expect(fails).toHaveLength(1);
    // The second retry waited about twice as long as the first.
    const starts = events.filter((e) => e.type === 'progress').map((e) => e.at);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(35);
    await q.close();
  });

  it('a wait uses no attempt; a dedupe key gives the waiting job back; who may read a job', async () => {
    const q = createMemoryQueue({ attempts: 1, backoffMs: 10 });
    let calls = 0;
    q.handle('ingest', async () => {
      if (++calls < 4) throw new JobWait('waiting for the vector store: unreachable');
    });
    const a = await q.enqueue('ingest', { documentId: 'kb_2' }, { dedupe: 'ingest:kb_2' });
    expect(await q.enqueue('ingest', { documentId: 'kb_2' }, { dedupe: 'ingest:kb_2' })).toBe(a);
    expect((await q.get(a))!.state).toBe('waiting'); // nothing runs before work()
    await q.work();
    await q.idle();
    expect(calls).toBe(4);
    expect(await q.get(a)).toMatchObject({ state: 'completed', attemptsMade: 0 });
    expect(await q.enqueue('ingest', { documentId: 'kb_2' }, { dedupe: 'ingest:kb_2' })).not.toBe(a);
    await q.idle();
    await q.close();

    const job = (await q.get(a))!;
    expect(mayReadJob({ ...job, owner: 'u1' }, { sub: 'u1' }, false)).toBe(true);
    expect(mayReadJob({ ...job, owner: 'u1' }, { sub: 'u2' }, true)).toBe(false);
    expect(mayReadJob(job, { sub: 'u2' }, true)).toBe(true);
    expect(mayReadJob(job, { sub: 'u2' }, false)).toBe(false);
  });

  it("an upload that meets the system's job for the same document makes it the uploader's (only theirs)", async () => {
    const q = createMemoryQueue({ attempts: 1, backoffMs: 10 });
    q.handle('ingest', async () => undefined);
    // At start the system queues every document still to embed; the person's upload comes in meanwhile.
    const system = await q.enqueue('ingest', { documentId: 'kb_3' }, { dedupe: 'ingest:kb_3' });
    expect(await q.enqueue('ingest', { documentId: 'kb_3' }, { owner: 'alex', dedupe: 'ingest:kb_3' })).toBe(
      system,
    );
    const job = (await q.get(system))!;
    expect(job.owner).toBe('alex');
    expect(mayReadJob(job, { sub: 'riley' }, true)).toBe(false);
    // A job that already has its owner keeps it.
    expect(await q.enqueue('ingest', { documentId: 'kb_3' }, { owner: 'sam', dedupe: 'ingest:kb_3' })).toBe(
      system,
    );
    expect((await q.get(system))!.owner).toBe('alex');
    await q.close();
  });
});

describe('the in-process schedule', () => {
  it('enqueues a job every interval; while one runs, the schedule’s key gives that job back', async () => {
    const q = createMemoryQueue({ attempts: 1, backoffMs: 10 });
    const started: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let began!: () => void;
    const first = new Promise<void>((r) => (began = r));
    q.handle('backup', async (ctx) => {
      started.push(ctx.id);
      if (started.length === 1) {
        began();
        await held;
      }
    });
    const completed: string[] = [];
    const two = new Promise<void>((resolve) => {
      q.on((e) => {
        if (e.type === 'completed' && completed.push(e.id) === 2) resolve();
      });
    });
    await q.work();
    await q.schedule('backup', 'backup', 20);
    await first;
    // POST /api/backups while the scheduled one runs: the same job, not a second one.
    expect(await q.enqueue('backup', {}, { dedupe: 'backup' })).toBe(started[0]);
    release();
    await two;
    expect(completed[0]).toBe(started[0]);
    expect(completed[1]).not.toBe(completed[0]);
    expect(await q.get(completed[1]!)).toMatchObject({ kind: 'backup', state: 'completed' });
    await q.close();
  });
});

describe('the worker settings', () => {
  it('reads --worker and --no-worker as API_MODE=worker and API_WORKERS=0', () => {
    const redis = { ...ENV, REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(parseApiConfig(redis, ['--worker'])).toMatchObject({ API_MODE: 'worker', API_WORKERS: 1 });
    expect(parseApiConfig(redis, ['--no-worker'])).toMatchObject({ API_MODE: 'all', API_WORKERS: 0 });
    expect(parseApiConfig(ENV, [])).toMatchObject({ API_MODE: 'all', API_WORKERS: 1, JOB_ATTEMPTS: 5 });
  });

  it('refuses a worker or no workers without Redis, naming the variable', () => {
    expect(() => parseApiConfig(ENV, ['--worker'])).toThrow(
      /^config: API_MODE must be all when REDIS_URL is not set/,
    );
    expect(() => parseApiConfig({ ...ENV, API_WORKERS: '0' }, [])).toThrow(
      /^config: API_WORKERS must be at least 1 when REDIS_URL is not set/,
    );
    expect(() => parseApiConfig({ ...ENV, JOB_ATTEMPTS: '0' }, [])).toThrow(/^config: JOB_ATTEMPTS must be/);
  });
});

describe('the backup settings', () => {
  const PG = 'postgres://backup:s3cret@db.example:5432';
  it('reads the schedule as an interval and the databases by service (default: DATABASE_URL as api)', () => {
    expect(parseApiConfig({ ...ENV, BACKUP_DIR: '/b', BACKUP_SCHEDULE: '6h' }, [])).toMatchObject({
      backupEveryMs: 6 * 3_600_000,
      backupDatabases: {},
    });
    expect(parseApiConfig({ ...ENV, DATABASE_URL: `${PG}/msi_api` }, []).backupDatabases).toEqual({
      api: `${PG}/msi_api`,
    });
    const both = parseApiConfig(
      { ...ENV, DATABASE_URL: `${PG}/msi_api`, BACKUP_DATABASE_URLS: `idp=${PG}/msi_idp, api=${PG}/a` },
      [],
    );
    expect(both.backupDatabases).toEqual({ idp: `${PG}/msi_idp`, api: `${PG}/a` });
    expect(parseApiConfig(ENV, [])).not.toHaveProperty('backupEveryMs');
  });

  it('refuses a bad schedule, a schedule without BACKUP_DIR, a bad database list and a fraction to keep', () => {
    expect(() => parseApiConfig({ ...ENV, BACKUP_DIR: '/b', BACKUP_SCHEDULE: 'daily' }, [])).toThrow(
      /^config: BACKUP_SCHEDULE must be an interval such as 30m, 6h or 1d \(got "daily"\)$/,
    );
    expect(() => parseApiConfig({ ...ENV, BACKUP_SCHEDULE: '1d' }, [])).toThrow(
      /^config: BACKUP_DIR must be set when BACKUP_SCHEDULE is set \(not set\)$/,
    );
    // The error names the service, never the URL with its password.
    for (const bad of [`billing=${PG}/x`, `api=mysql://db/x`, PG]) {
      let message = '';
      try {
        parseApiConfig({ ...ENV, BACKUP_DATABASE_URLS: bad }, []);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^config: BACKUP_DATABASE_URLS must be service=postgres:\/\/… items/);
      expect(message).not.toContain('s3cret');
    }
    expect(() => parseApiConfig({ ...ENV, BACKUP_KEEP_DAILY: '1.5' }, [])).toThrow(
      /^config: BACKUP_KEEP_DAILY must be a whole number/,
    );
  });
});
