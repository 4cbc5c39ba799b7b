/**
 * A scratch PostgreSQL cluster of its own (initdb into a temporary directory, on a free port), for tests
 * that make roles: roles are global to a server, so they must not be made on the shared test server.
 * The superuser `postgres` connects over the cluster's Unix socket without a password; TCP on
 * 127.0.0.1 asks for passwords (scram-sha-256), as a deployment's server does. Runs the server as the
 * `postgres` system user when the tests run as root (PostgreSQL refuses to run as root).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@msi/kit';

export interface ScratchCluster {
  port: number;
  /** The directory of its Unix socket (PGHOST for psql). */
  socketDir: string;
  /** Environment for psql and scripts: PGHOST, PGPORT (the socket, as the superuser). */
  env: Record<string, string>;
  stop(): void;
}

/** The directory of PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = majors.map((m) => join(root, m, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (!dir) throw new Error(`a scratch cluster needs PostgreSQL's server binaries (initdb) under ${root}`);
  return dir;
}

export async function startScratchCluster(): Promise<ScratchCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'msi-pg-cluster-'));
  chmodSync(dir, 0o755);
  const root = userInfo().uid === 0;
  if (root) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const run = (cmd: string, args: string[]) => {
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' })
      : spawnSync(join(bin, cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
  ]);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    'start',
  ]);
  let stopped = false;
  return {
    port,
    socketDir: dir,
    env: { PGHOST: dir, PGPORT: String(port) },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
