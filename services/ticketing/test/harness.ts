/**
 * The real ticketing server for its tests, on either backend: the built IDP and the built ticketing
 * server as processes on free ports, real tokens (login through the form, then token exchange as the API
 * does), and the SDK Client over Streamable HTTP (test/support). On `postgres` the server gets a fresh
 * database of the test server as DATABASE_URL (dropped when the harness stops). `query` reads what the
 * server wrote (SQL with `?` placeholders, the same text on both backends), `snapshot` fingerprints it.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';
import { freePort } from '@msi/kit';
import { dbFile, openReadOnly, tempDataDir } from '../../../test/support/data-dir.js';
import { freshDatabase, type Backend, type FreshDatabase } from '../../../test/support/database.js';
import { resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { connectMcp } from '../../../test/support/mcp.js';
import { startService, type RunningService } from '../../../test/support/services.js';

export { callTool as call, errorText } from '../../../test/support/mcp.js';
export { backends, type Backend } from '../../../test/support/database.js';

/** Where a ticketing store keeps its data: a SQLite file or a PostgreSQL database. */
export type DbTarget = { backend: 'sqlite'; file: string } | { backend: 'postgres'; url: string };

/** The IDP and the ticketing server, started for one test file (ticketing's test harness). */
export interface Harness {
  backend: Backend;
  idp: RunningIdp;
  ticketing: RunningService;
  dataDir: string;
  /** The SQLite file (sqlite) or the database URL (postgres) the server uses. */
  target: DbTarget;
  /** Its environment for a second server process on the same store. */
  env: Record<string, string>;
  /** Rows of one query on the server's store (`?` placeholders). */
  query<T>(text: string, ...params: unknown[]): Promise<T[]>;
  /** A fingerprint of everything the server stores: equal before and after means nothing was written. */
  snapshot(): Promise<string>;
  /** An access token for the ticketing server for `username` (token exchange; optional narrower scope). */
  token(username: string, scope?: string): Promise<string>;
  /** A connected SDK client calling as `username`. */
  client(username: string, scope?: string): Promise<Client>;
  stop(): Promise<void>;
}

/** A database for one store on `backend`: a fresh PostgreSQL database, or none (the data dir's file). */
export async function storeDatabase(
  backend: Backend,
  label = 'ticketing',
): Promise<FreshDatabase | undefined> {
  return backend === 'postgres' ? freshDatabase(label) : undefined;
}

export async function startHarness(
  env: Record<string, string> = {},
  backend: Backend = 'sqlite',
): Promise<Harness> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ audiences: { ticketing: url } });
  const data = tempDataDir('msi-ticketing-');
  let database: FreshDatabase | undefined;
  let ticketing: RunningService;
  const serverEnv: Record<string, string> = { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.issuer, ...env };
  try {
    database = await storeDatabase(backend);
    if (database) serverEnv.DATABASE_URL = database.url;
    ticketing = await startService('ticketing', serverEnv, { port, timeoutMs: 120_000 });
  } catch (err) {
    await idp.stop();
    await database?.drop();
    data.cleanup();
    throw err;
  }
  const target: DbTarget = database
    ? { backend: 'postgres', url: database.url }
    : { backend: 'sqlite', file: dbFile(data.dir, 'ticketing') };
  const clients: Client[] = [];
  const tokens = new Map<string, Promise<string>>();
  const token = (username: string, scope?: string) => {
    const key = `${username} ${scope ?? ''}`;
    if (!tokens.has(key)) tokens.set(key, resourceToken(idp.issuer, username, url, scope));
    return tokens.get(key)!;
  };
  return {
    backend,
    idp,
    ticketing,
    dataDir: data.dir,
    target,
    env: serverEnv,
    query: (text, ...params) => queryDb(target, text, ...params),
    snapshot: () => snapshot(target),
    token,
    async client(username, scope) {
      const c = await connect(url, await token(username, scope));
      clients.push(c);
      return c;
    },
    async stop() {
      try {
        await Promise.allSettled(clients.map((c) => c.close()));
        await Promise.allSettled([ticketing.stop(), idp.stop()]);
        await database?.drop();
      } finally {
        data.cleanup();
      }
    },
  };
}

/** A client of the ticketing server at `url` calling with `token`. */
export function connect(url: string, token: string): Promise<Client> {
  return connectMcp(`${url}/mcp`, token, 'ticketing-test');
}

/** Opens the server's SQLite file read-only (WAL: sees every committed write). */
export const openDb = openReadOnly;

/** Values as the service reads them: counts as numbers, timestamps as ISO strings. */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 1184) return (v: string) => new Date(v).toISOString();
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** One query on a ticketing store, `?` placeholders on both backends (PostgreSQL gets $1, $2, …). */
export async function queryDb<T>(target: DbTarget, text: string, ...params: unknown[]): Promise<T[]> {
  if (target.backend === 'sqlite') {
    const db = openReadOnly(target.file);
    try {
      return db.prepare(text).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  let n = 0;
  const client = new pg.Client({ connectionString: target.url, types });
  await client.connect();
  try {
    return (
      await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as T[];
  } finally {
    await client.end();
  }
}

/** Runs statements that change a store behind the server's back (tests of its guards). */
export async function execDb(target: DbTarget, text: string): Promise<void> {
  if (target.backend === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(target.file);
    try {
      db.exec(text);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fingerprint of everything a store holds: tickets (with their search entry), comments, events. */
export async function snapshot(target: DbTarget | string): Promise<string> {
  const t: DbTarget = typeof target === 'string' ? { backend: 'sqlite', file: target } : target;
  const h = createHash('sha256');
  for (const table of ['tickets', 'comments', 'events']) {
    for (const row of await queryDb(t, `SELECT * FROM ${table} ORDER BY id`)) h.update(JSON.stringify(row));
  }
  if (t.backend === 'sqlite')
    h.update(JSON.stringify(await queryDb(t, 'SELECT * FROM tickets_fts ORDER BY rowid')));
  return h.digest('hex');
}
