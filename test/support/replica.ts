/**
 * PostgreSQL clusters of a test's own, made on this machine with the server's real tools: `startCluster()`
 * runs `initdb` into a temporary dir and starts it on a free port (a fresh, empty server: a primary
 * that allows streaming replication, or the "new infrastructure" of a disaster-recovery drill);
 * `startReplica(primary)` takes a `pg_basebackup -R -X stream` of it and starts that as a hot-standby
 * streaming replica on another port. Both speak trust auth as user `root` on 127.0.0.1, like the shared
 * test server. The shared server (127.0.0.1:5432) allows no replication connections, hence a primary of
 * our own. PostgreSQL refuses to run as root: as root the tools run as the `postgres` user (runuser), in
 * dirs it owns. `stop()` stops a cluster (fast shutdown), `start()` starts it again, `remove()` stops it
 * and deletes its dir.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@msi/kit';
import { pgQuery } from './database.js';

const run = promisify(execFile);

/** Where Debian keeps the server's binaries (postgresql-15); MSI_TEST_PG_BIN to use others. */
export function pgBin(): string {
  if (process.env.MSI_TEST_PG_BIN) return process.env.MSI_TEST_PG_BIN;
  for (const v of ['17', '16', '15']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return '/usr/lib/postgresql/15/bin';
}

/** True when this machine can make clusters (the server package's initdb is installed). */
export function canMakeClusters(): boolean {
  return existsSync(join(pgBin(), 'initdb')) && existsSync(join(pgBin(), 'pg_basebackup'));
}

const asRoot = process.getuid?.() === 0;

/** Runs one of the server's tools, as `postgres` when we are root; its output on failure. */
async function tool(name: string, args: string[]): Promise<string> {
  const bin = join(pgBin(), name);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    const r = await run(cmd, argv, { cwd: tmpdir(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return r.stdout + r.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A temporary dir the server's user owns (0700, as PostgreSQL wants its data dir). */
function ownedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  return dir;
}

let pgUser: { uid: number; gid: number } | undefined;
function postgresUser(): { uid: number; gid: number } {
  if (pgUser) return pgUser;
  // `id` rather than parsing /etc/passwd: it also answers for users from NSS.
  const out = (args: string[]) => Number(execFileSyncText('id', args));
  pgUser = { uid: out(['-u', 'postgres']), gid: out(['-g', 'postgres']) };
  return pgUser;
}

function execFileSyncText(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

export interface Cluster {
  /** Its data dir (temporary). */
  dir: string;
  port: number;
  /** postgres://root@127.0.0.1:PORT/<database> (default `postgres`). */
  url(database?: string): string;
  /** Fast shutdown (connections are cut, nothing is lost). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and deletes its dir. */
  remove(): Promise<void>;
}

function cluster(dir: string, port: number): Cluster {
  const ctl = (...args: string[]) => tool('pg_ctl', ['-D', dir, ...args]);
  let running = false;
  const c: Cluster = {
    dir,
    port,
    url: (database = 'postgres') => `postgres://root@127.0.0.1:${port}/${database}`,
    async start() {
      // -w waits until it accepts connections (a standby: once it is consistent and serves reads).
      await ctl('-w', '-t', '60', '-l', join(dir, 'server.log'), 'start');
      running = true;
    },
    async stop() {
      if (!running) return;
      await ctl('-w', '-m', 'fast', 'stop');
      running = false;
    },
    async remove() {
      await c.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

/** Settings every test cluster gets: ours alone on 127.0.0.1, its socket in its own dir, quick to start. */
function settings(dir: string, port: number): string[] {
  return [
    `port=${port}`,
    `listen_addresses='127.0.0.1'`,
    `unix_socket_directories='${dir}'`,
    // A test cluster: durability across a power cut is not what it is for.
    'fsync=off',
    'full_page_writes=off',
    'shared_buffers=32MB',
    'max_connections=60',
    'wal_level=replica',
    'max_wal_senders=5',
    'hot_standby=on',
    // The standby tells the primary what it has replayed at least this often (pg_stat_replication).
    'wal_receiver_status_interval=1s',
  ];
}

/** A new, empty PostgreSQL server on a free port (initdb, trust auth, superuser `root`), started. */
export async function startCluster(): Promise<Cluster> {
  const dir = join(ownedDir('msi-pg-'), 'data');
  const port = await freePort();
  // initdb's trust setup also lets 127.0.0.1 open replication connections (its pg_hba.conf has them).
  await tool('initdb', ['-D', dir, '-U', 'root', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '-N']);
  appendConf(dir, settings(dir, port));
  const c = withParentRemoved(cluster(dir, port));
  await c.start();
  return c;
}

/**
 * A streaming replica of `primary` on a free port: `pg_basebackup -R -X stream` (standby.signal and the
 * primary's conninfo written by it), started as a hot standby. Reads only; it follows the primary's WAL.
 */
export async function startReplica(primary: Cluster): Promise<Cluster> {
  const dir = join(ownedDir('msi-pg-replica-'), 'data');
  const port = await freePort();
  await tool('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'root',
    '-D',
    dir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
  ]);
  appendConf(dir, settings(dir, port));
  const c = withParentRemoved(cluster(dir, port));
  await c.start();
  return c;
}

/** Appends settings to postgresql.conf (the last one of a name wins), as the server's user. */
function appendConf(dir: string, lines: string[]): void {
  appendFileSync(join(dir, 'postgresql.conf'), `\n# msi test cluster\n${lines.join('\n')}\n`);
}

/** remove() deletes the temporary parent too (the data dir lives in one of its own). */
function withParentRemoved(c: Cluster): Cluster {
  const parent = join(c.dir, '..');
  return {
    ...c,
    async remove() {
      await c.remove();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** The primary's WAL position now (at or past every commit made so far). */
export async function walPosition(primary: Cluster): Promise<string> {
  const [row] = await pgQuery<{ lsn: string }>(primary.url(), 'SELECT pg_current_wal_lsn()::text AS lsn');
  return row!.lsn;
}

/** True once `replica` has replayed the WAL up to `lsn` (from walPosition). */
export async function replayedTo(replica: Cluster, lsn: string): Promise<boolean> {
  const [row] = await pgQuery<{ done: boolean | null }>(
    replica.url(),
    'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
    [lsn],
  );
  return row?.done === true;
}
