/**
 * Both backends for store and service tests. SQLite always; PostgreSQL through `MSI_TEST_DATABASE_URL`
 * (default postgres://root@127.0.0.1:5432/postgres, the server every project machine runs; set it empty
 * to run SQLite only). `freshDatabase()` makes a new empty database on that server for one test file and
 * drops it afterwards. `tcpProxy()` stands between a service and its server so a test can take the
 * database away and bring it back without touching the shared server.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';

export type Backend = 'sqlite' | 'postgres';

const DEFAULT_URL = 'postgres://root@127.0.0.1:5432/postgres';

/** The admin URL of the test server, or undefined when PostgreSQL tests are switched off. */
export function testServerUrl(): string | undefined {
  const v = process.env.MSI_TEST_DATABASE_URL;
  if (v === '') return undefined;
  return v ?? DEFAULT_URL;
}

/** The backends this run covers: `describe.each(backends())`. */
export function backends(): Backend[] {
  return testServerUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface FreshDatabase {
  /** postgres://…/msi_t_<label>_<random>: give it to a service as DATABASE_URL. */
  url: string;
  name: string;
  /** Drops the database (ending any session still on it). */
  drop(): Promise<void>;
}

/** `url` with its database replaced by `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = testServerUrl();
  if (!url) throw new Error('PostgreSQL tests are off (MSI_TEST_DATABASE_URL is empty)');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL tests need a server at ${url} (${(err as Error).message}); start it, point MSI_TEST_DATABASE_URL at one, or set MSI_TEST_DATABASE_URL= to run SQLite only`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server. */
export async function freshDatabase(label = 'test'): Promise<FreshDatabase> {
  const name = `msi_t_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(testServerUrl()!, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs one query on a test database (a service's, read from the test's side). */
export async function pgQuery<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface TcpProxy {
  port: number;
  /** `url` with host and port replaced by the proxy's. */
  via(url: string): string;
  /** Refuses new connections and cuts the open ones: the database "goes away". */
  cut(): Promise<void>;
  /** Accepts again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `target` (host:port of the test server by default). */
export async function tcpProxy(target = new URL(testServerUrl() ?? DEFAULT_URL)): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const host = target.hostname || '127.0.0.1';
  const targetPort = Number(target.port || 5432);
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, host);
        sockets.add(client).add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return {
    get port() {
      return port;
    },
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut: stop,
    restore: listen,
    close: stop,
  };
}
