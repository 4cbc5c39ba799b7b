/**
 * The `backup` job (docs/jobs.md, "Backups"): runs `scripts/backup.mjs backup` — the tested
 * implementation, not a copy of it — as a child process of the worker, turning its `--progress json`
 * lines into the job's progress, then `prune` when BACKUP_KEEP_* is set. A failure (pg_dump missing, a
 * database that does not answer, BACKUP_DIR not writable) throws with backup.mjs's own words, so the
 * queue retries it with its backoff and, after the last attempt, the job fails saying why.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@msi/kit';
import type { ApiConfig } from '../config.js';
import type { JobContext, JobProgress, JobQueue } from '../jobs/queue.js';

/** scripts/backup.mjs, next to the built service in the repository (and in the API's image). */
export const BACKUP_SCRIPT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../scripts/backup.mjs',
);

/** The one key of the schedule and of "a backup is already waiting or running". */
export const BACKUP_JOB_KEY = 'backup';

/** Environment backup.mjs would read instead of its flags: the job passes everything as flags. */
const IMPLICIT = [
  'MSI_DATA_DIR',
  'CHROMA_PATH',
  'IDP_DATABASE_URL',
  'TICKETING_DATABASE_URL',
  'ORGANIZATIONS_DATABASE_URL',
  'API_DATABASE_URL',
];
const childEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of IMPLICIT) delete env[k];
  return env;
};

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs backup.mjs with `args`; each JSON line on stdout goes to `onLine`. Stopped by `signal`. */
function runScript(args: string[], signal: AbortSignal, onLine: (line: string) => void): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BACKUP_SCRIPT, ...args], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let stderr = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      lines.filter(Boolean).forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

/** backup.mjs's reason: its last `backup: …` line (it prints one on failure). */
function reason(run: Run, what: string): string {
  const last = run.stderr.trim().split('\n').filter(Boolean).at(-1) ?? '';
  return `${what} failed (exit ${run.code}): ${last.replace(/^backup: /, '') || 'no message'}`;
}

export async function runBackupJob(ctx: JobContext, cfg: ApiConfig, log: Logger): Promise<void> {
  if (!cfg.BACKUP_DIR) throw new Error('BACKUP_DIR is not set on the worker that ran this backup');
  const dir = resolve(cfg.BACKUP_DIR);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`BACKUP_DIR ${dir} is not writable: ${(err as Error).message}`);
  }
  const args = ['backup', '--out', dir, '--progress', 'json'];
  for (const [service, url] of Object.entries(cfg.backupDatabases)) args.push('--db', `${service}=${url}`);
  if (cfg.BACKUP_DATA_DIR) args.push('--data-dir', resolve(cfg.BACKUP_DATA_DIR));
  if (cfg.BACKUP_CHROMA_DIR) args.push('--chroma', resolve(cfg.BACKUP_CHROMA_DIR));

  let last: JobProgress = { done: 0, total: 0 };
  const updates: Promise<void>[] = [];
  const made = await runScript(args, ctx.signal, (line) => {
    try {
      const p = JSON.parse(line) as JobProgress;
      last = { done: p.done, total: p.total, ...(p.step ? { step: p.step } : {}) };
      updates.push(ctx.progress(last));
    } catch {
      log.warn({ line }, 'backup job: a line of backup.mjs that is not progress');
    }
  });
  await Promise.all(updates);
  if (made.code !== 0) throw new Error(reason(made, 'backup'));

  const keep = {
    '--keep-daily': cfg.BACKUP_KEEP_DAILY,
    '--keep-weekly': cfg.BACKUP_KEEP_WEEKLY,
    '--keep-monthly': cfg.BACKUP_KEEP_MONTHLY,
  };
  if (Object.values(keep).every((v) => v === undefined)) return;
  const pruneArgs = ['prune', dir];
  for (const [flag, v] of Object.entries(keep)) if (v !== undefined) pruneArgs.push(flag, String(v));
  const pruned = await runScript(pruneArgs, ctx.signal, () => undefined);
  if (pruned.code !== 0) throw new Error(reason(pruned, 'prune'));
  const summary = pruned.stderr
    .trim()
    .split('\n')
    .at(-1)
    ?.replace(/^backup: /, '');
  await ctx.progress({ ...last, step: `${last.step ?? 'backed up'}; ${summary}` });
}

/** The backup handler of every process that takes jobs, and BACKUP_SCHEDULE's schedule. */
export async function setUpBackupJobs(jobs: JobQueue, cfg: ApiConfig, log: Logger): Promise<void> {
  const blog = log.child({ module: 'backups' });
  jobs.handle('backup', (ctx) => runBackupJob(ctx, cfg, blog));
  if (!cfg.backupEveryMs) return;
  try {
    await jobs.schedule('backup', BACKUP_JOB_KEY, cfg.backupEveryMs);
    blog.info({ every: cfg.BACKUP_SCHEDULE, queue: jobs.kind }, 'backups scheduled');
  } catch (err) {
    blog.error({ err: (err as Error).message }, 'could not schedule backups');
  }
}
