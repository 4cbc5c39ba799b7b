/**
 * Backups as jobs, with the real processes: the back end on PostgreSQL, an API that only enqueues
 * (REDIS_URL, API_WORKERS=0) and a separate worker process (`--worker`) that runs scripts/backup.mjs;
 * real Redis (BullMQ, a prefix of this file's own). BACKUP_SCHEDULE set on both processes is one
 * scheduler in Redis whose job runs once; an admin starts a backup through the API, its steps are seen
 * as progress, the archive lands in BACKUP_DIR and `backup.mjs verify` accepts it; anyone else gets 404;
 * a backup whose database does not answer fails after its retries with the reason. Then the in-process
 * queue (no Redis) of one API process: a backup of its own database, and a BACKUP_DIR it cannot write.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@msi/kit';
import type { BackupStarted, JobStatus } from '../src/contract.js';
import { createBullQueue } from '../src/jobs/bullmq-queue.js';
import type { JobEvent, JobQueue } from '../src/jobs/queue.js';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { testServerUrl } from '../../../test/support/database.js';
import { ROOT, tempDataDir, type RunningService } from '../../../test/support/services.js';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RETRY = { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '100' };

const verify = (archive: string) =>
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'backup.mjs'), 'verify', archive], {
    encoding: 'utf8',
    timeout: 120_000,
  });

/** Polls a job's status (as the renderer does) until it is completed or failed. */
async function finished(url: string, token: string, id: string, ms = 90_000): Promise<JobStatus> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await call<JobStatus>(url, token, 'GET', `/api/jobs/${id}`);
    if (r.status !== 200) throw new Error(`GET /api/jobs/${id}: ${r.status}`);
    if (['completed', 'failed'].includes(r.body.state) || Date.now() > end) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const archivesIn = (dir: string) => readdirSync(dir).filter((f) => /^msi-backup-.*\.tar\.gz$/.test(f));

describe.runIf(testServerUrl())('backups as jobs on Redis with a worker process', () => {
  const prefix = `msi-test-backupjobs-${randomBytes(4).toString('hex')}:`;
  const out = tempDataDir('msi-backupjobs-');
  const redisEnv = { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...RETRY, BACKUP_SCHEDULE: '1d' };
  let stack: Backend;
  let worker: RunningService;
  let queue: Queue;
  let events: JobQueue;
  let admin: string;
  const seen: JobEvent[] = [];

  /** A worker on the back end's API database that backs up every service's database and its data dir. */
  const startWorker = (env: Record<string, string> = {}) =>
    stack.startApi({
      ...redisEnv,
      API_MODE: 'worker',
      DATABASE_URL: stack.databaseUrls.api!,
      BACKUP_DIR: out.dir,
      BACKUP_DATABASE_URLS: Object.entries(stack.databaseUrls)
        .map(([s, u]) => `${s}=${u}`)
        .join(','),
      BACKUP_DATA_DIR: stack.dataDir,
      ...env,
    });

  beforeAll(async () => {
    stack = await startBackend({
      postgres: true,
      apiEnv: { ...redisEnv, API_WORKERS: '0', BACKUP_DIR: out.dir },
    });
    queue = new Queue('background', { connection: { url: REDIS_URL }, prefix: `${prefix}jobs` });
    events = createBullQueue({ url: REDIS_URL, prefix: `${prefix}jobs`, log: createLogger('test', 'warn') });
    events.on((e) => seen.push(e));
    worker = await startWorker();
    admin = await stack.login('admin');
  });
  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await stack?.stop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    out.cleanup();
  });

  it('BACKUP_SCHEDULE set on the API and the worker is one scheduler whose job runs once', async () => {
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toEqual([expect.objectContaining({ key: 'backup', every: 86_400_000 })]);
    // Its first job runs at once on the worker; a system job, which admins may read and others not.
    // (The queue also holds the built-in documentation's ingest jobs.)
    const backups = async (states: Parameters<Queue['getJobs']>[0]) =>
      (await queue.getJobs(states)).filter((j) => j.name === 'backup');
    const ALL = ['waiting', 'active', 'completed', 'failed', 'prioritized'] as const;
    let jobs = await backups([...ALL]);
    for (const end = Date.now() + 30_000; !jobs.length && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 100));
      jobs = await backups([...ALL]);
    }
    expect(jobs).toHaveLength(1);
    const status = await finished(stack.api.url, admin, jobs[0]!.id!);
    expect(status).toMatchObject({ kind: 'backup', state: 'completed' });
    const agent = await stack.login('alex_agent');
    expect((await call(stack.api.url, agent, 'GET', `/api/jobs/${jobs[0]!.id}`)).status).toBe(404);
    // The next one waits a day; nothing else was enqueued.
    const delayed = await backups(['delayed']);
    expect(delayed).toHaveLength(1);
    expect(delayed[0]!.opts.delay).toBeGreaterThan(86_000_000);
    expect(await backups(['waiting', 'active', 'failed'])).toEqual([]);
    expect(archivesIn(out.dir)).toHaveLength(1);
  });

  it('an admin starts a backup: 202, progress per step from the worker, an archive verify accepts', async () => {
    const r = await call<BackupStarted>(stack.api.url, admin, 'POST', '/api/backups');
    expect(r.status).toBe(202);
    const { jobId } = r.body;
    const status = await finished(stack.api.url, admin, jobId);
    expect(status).toMatchObject({ kind: 'backup', state: 'completed', attemptsMade: 0, attempts: 2 });
    const steps = seen.filter((e) => e.id === jobId && e.type === 'progress').map((e) => e.progress!);
    // Four databases, Chroma's data, the archive; then the end. (The IDP keeps its keys in its database.)
    expect(steps.map((p) => p.step)).toEqual([
      expect.stringMatching(/^dumping the idp database/),
      expect.stringMatching(/^dumping the ticketing database/),
      expect.stringMatching(/^dumping the organizations database/),
      expect.stringMatching(/^dumping the api database/),
      expect.stringMatching(/^copying Chroma's data/),
      expect.stringMatching(/^writing msi-backup-/),
      expect.stringMatching(/^wrote /),
    ]);
    expect(steps.map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(steps.every((p) => p.total === 6)).toBe(true);
    const archive = status.progress.step!.replace(/^wrote /, '');
    expect(archive.startsWith(out.dir)).toBe(true);
    expect(existsSync(archive) && existsSync(`${archive}.sha256`)).toBe(true);
    const checked = verify(archive);
    expect(checked.stderr).toMatch(/every checksum matches/);
    expect(checked.status).toBe(0);
    expect(worker.output()).not.toMatch(/"level":(50|60)/);
  });

  it('anyone but an admin: POST /api/backups and the backup job are not found', async () => {
    const r = await call<BackupStarted>(stack.api.url, admin, 'POST', '/api/backups');
    expect(r.status).toBe(202);
    for (const who of ['alex_agent', 'sam_supervisor', 'james_smith']) {
      const token = await stack.login(who);
      const post = await call(stack.api.url, token, 'POST', '/api/backups');
      expect(post).toMatchObject({ status: 404, body: { error: 'not_found' } });
      const read = await call(stack.api.url, token, 'GET', `/api/jobs/${r.body.jobId}`);
      expect(read).toMatchObject({ status: 404, body: { error: 'not_found' } });
    }
    expect((await finished(stack.api.url, admin, r.body.jobId)).state).toBe('completed');
  });

  it('a backup whose database does not answer fails after its retries, saying why', async () => {
    await worker.stop();
    const port = 1; // tcpmux: nothing listens there
    worker = await startWorker({ BACKUP_DATABASE_URLS: `api=postgres://root@127.0.0.1:${port}/nothing` });
    const r = await call<BackupStarted>(stack.api.url, admin, 'POST', '/api/backups');
    expect(r.status).toBe(202);
    const retrying = seen.length;
    const status = await finished(stack.api.url, admin, r.body.jobId);
    expect(status).toMatchObject({ kind: 'backup', state: 'failed', attemptsMade: 2, attempts: 2 });
    expect(status.error).toMatch(
      new RegExp(
        `^backup failed \\(exit 69\\): the api database at postgres://root@127.0.0.1:${port}/nothing cannot be reached`,
      ),
    );
    // The first failure was retried (BullMQ's backoff), with the same reason on the way.
    expect(
      seen
        .slice(retrying)
        .some((e) => e.id === r.body.jobId && e.type === 'retrying' && /cannot be reached/.test(e.error!)),
    ).toBe(true);
  });
});

describe.runIf(testServerUrl())('backups as jobs in-process (no Redis)', () => {
  const out = tempDataDir('msi-backupjobs-local-');
  let stack: Backend;
  let admin: string;

  beforeAll(async () => {
    stack = await startBackend({
      postgres: true,
      apiEnv: {
        ...RETRY,
        BACKUP_DIR: out.dir,
        BACKUP_KEEP_DAILY: '1',
        BACKUP_KEEP_WEEKLY: '0',
        BACKUP_KEEP_MONTHLY: '0',
      },
    });
    admin = await stack.login('admin');
  });
  afterAll(async () => {
    await stack?.stop();
    out.cleanup();
  });

  it('backs up the API’s own database (DATABASE_URL) in the API process; prune keeps one a day', async () => {
    writeFileSync(join(out.dir, 'msi-backup-20200101T000000Z.tar.gz'), 'an old archive');
    const r = await call<BackupStarted>(stack.api.url, admin, 'POST', '/api/backups');
    expect(r.status).toBe(202);
    const status = await finished(stack.api.url, admin, r.body.jobId);
    expect(status).toMatchObject({ kind: 'backup', state: 'completed', progress: { done: 2, total: 2 } });
    expect(status.progress.step).toMatch(/^wrote .*msi-backup-.*\.tar\.gz; kept 1 archive\(s\), removed 1$/);
    const [archive] = archivesIn(out.dir);
    expect(archivesIn(out.dir)).toHaveLength(1);
    expect(verify(join(out.dir, archive!)).status).toBe(0);
  });

  it('a BACKUP_DIR it cannot write fails after its retries with the reason', async () => {
    const notADir = join(out.dir, 'a-file');
    writeFileSync(notADir, '');
    const api = await stack.startApi({ ...RETRY, BACKUP_DIR: join(notADir, 'backups') });
    const r = await call<BackupStarted>(api.url, admin, 'POST', '/api/backups');
    expect(r.status).toBe(202);
    const status = await finished(api.url, admin, r.body.jobId);
    expect(status).toMatchObject({ state: 'failed', attemptsMade: 2 });
    expect(status.error).toMatch(/^BACKUP_DIR .*a-file\/backups is not writable: ENOTDIR/);
  });
});
