/**
 * What the topology needs besides our services: a self-signed certificate (openssl), the services'
 * PostgreSQL databases, a reachable Redis (the given one, else a redis-server of our own), and the
 * binaries. Each problem is one line naming what is missing (TopologyProblem).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, isPortFree } from '@msi/kit/net';

/** A reason the topology cannot start, said in one line (the CLI prints it and exits). */
export class TopologyProblem extends Error {
  constructor(
    message: string,
    readonly kind: 'binary' | 'port' | 'database' | 'redis' | 'build' | 'start' = 'start',
  ) {
    super(message);
    this.name = 'TopologyProblem';
  }
}

/** The binary at `path`, or on PATH by name; a TopologyProblem naming the package otherwise. */
export function requireBinary(name: string, hint: string, path?: string): string {
  if (path) {
    if (existsSync(path)) return path;
    throw new TopologyProblem(`${path} does not exist (${hint})`, 'binary');
  }
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  if (found.status !== 0 || !bin) throw new TopologyProblem(`${name} is not installed (${hint})`, 'binary');
  return bin;
}

/** Throws a TopologyProblem naming the first port of `ports` that something already listens on. */
export async function requireFreePorts(ports: number[], option: string): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(port)))
      throw new TopologyProblem(
        `port ${port} on 127.0.0.1 is already in use; the topology needs ${ports.join(', ')} — choose another base with ${option}`,
        'port',
      );
  }
}

export interface Certificate {
  certFile: string;
  keyFile: string;
}

/** A new self-signed certificate for 127.0.0.1 and localhost (P-256, 30 days), made at every start. */
export function makeCertificate(openssl: string, dir: string): Certificate {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const r = spawnSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=127.0.0.1/O=MSI Assistant topology',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0)
    throw new TopologyProblem(
      `openssl could not make the certificate: ${(r.stderr || r.error?.message || '').trim()}`,
    );
  return { certFile, keyFile };
}

/** `url` with its database replaced by `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const maskUrl = (url: string) => url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');

/**
 * Creates each database that does not exist yet on the server of `baseUrl` (connecting to its
 * `postgres` database); existing ones are kept, so a second start finds its data again.
 */
export async function ensureDatabases(baseUrl: string, names: string[]): Promise<string[]> {
  const client = new pg.Client({
    connectionString: withDatabase(baseUrl, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (err) {
    throw new TopologyProblem(
      `PostgreSQL at ${maskUrl(baseUrl)} is not reachable (${(err as Error).message}); start it or give --database-url`,
      'database',
    );
  }
  const created: string[] = [];
  try {
    for (const name of names) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name))
        throw new TopologyProblem(`bad database name ${name}`, 'database');
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount) continue;
      await client.query(`CREATE DATABASE ${name}`);
      created.push(name);
    }
  } finally {
    await client.end();
  }
  return created;
}

/** Drops the databases (ending their sessions): for tests and `--drop-databases`. */
export async function dropDatabases(baseUrl: string, names: string[]): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabase(baseUrl, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Whether a Redis server answers PING at `url` (any reply counts: one that wants AUTH is there too). */
export function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(/^[+-]/.test(d.toString('latin1'))));
  });
}

export interface OwnRedis {
  url: string;
  proc: ChildProcess;
}

/** A redis-server of our own on a free loopback port, without persistence; resolves once it answers. */
export async function startOwnRedis(redisServer: string, dir: string): Promise<OwnRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore', detached: process.platform !== 'win32' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    if (await redisAnswers(url, 300)) return { url, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new TopologyProblem(`redis-server did not answer on port ${port}`, 'redis');
}

/** A port p such that p … p+count-1 are all free on loopback (tests and benchmarks run beside others). */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await freePort();
    if (p + count > 65535) continue;
    let ok = true;
    for (let k = 1; k < count && ok; k++) ok = await isPortFree(p + k);
    if (ok) return p;
  }
  throw new TopologyProblem(`no ${count} consecutive free ports found on 127.0.0.1`, 'port');
}
