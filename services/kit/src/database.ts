/**
 * A service's data store on either backend, through one query layer (Kysely): the SQLite file in its data
 * dir (the desktop, `npm run stack`) or, with `DATABASE_URL=postgres://…`, its own PostgreSQL database
 * (production; docs/postgresql.md). Migrations are one versioned list with both dialects' SQL side by
 * side, run at start, tracked per module in `schema_migrations`; on PostgreSQL under an advisory lock, so
 * instances starting together apply each once. Every query error that means "the database is not there"
 * becomes a DatabaseUnavailableError naming the database (the kit answers it 503 `unavailable`); the pool
 * reconnects by itself when the server is back.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { ConfigError, maskSecret } from './config.js';
import { DatabaseUnavailableError, isUnavailable } from './database-errors.js';
import type { Logger } from './log.js';
import { currentTrace, inSpan, tracingEnabled } from './tracing.js';
import { moduleCreated, openDatabase, wasCreated, type SqliteMigration } from './sqlite.js';

export { DatabaseUnavailableError, isUnavailable } from './database-errors.js';
export type Dialect = 'sqlite' | 'postgres';

/**
 * One step of a schema, the same position in the list for both dialects (entry i is version i + 1): SQL
 * text (several statements allowed) or a function. Each runs once, in its own transaction.
 */
export interface Migration {
  sqlite: SqliteMigration;
  postgres: string | ((client: PoolClient) => Promise<void>);
}

export interface Store<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** "the ticketing database": what errors and readiness name. */
  readonly label: string;
  /** True when this open created the schema (version 0 before): a fresh store to seed. */
  readonly wasCreated: boolean;
  /** False after a query failed for want of the database, true again after one succeeds. */
  readonly available: boolean;
  /**
   * SQLite only: the connection under the query layer, for bulk work with prepared statements (a seed
   * of 100k rows) inside `transaction` — the one connection, so it runs in that transaction.
   */
  readonly sqlite?: BetterSqlite3.Database;
  /** Resolves when the database answers a query; rejects with DatabaseUnavailableError. For /readyz. */
  ping(): Promise<void>;
  /**
   * Runs `fn` in one transaction, committed when it resolves, rolled back when it throws. On SQLite it is
   * BEGIN IMMEDIATE (the write lock up front, so a check and its write never interleave); on PostgreSQL
   * lock what you read before writing it (`.forUpdate()`).
   */
  transaction<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The service, as its label names it: 'ticketing' → "the ticketing database". */
  service: string;
  /** The migrations' module in `schema_migrations` (default 'main'). */
  module?: string;
  /** `DATABASE_URL`: PostgreSQL when set. */
  url?: string | undefined;
  /** The SQLite file otherwise (its folder is created). */
  file: string;
  migrations: Migration[];
  log?: Logger;
  /** How long start-up waits for an unreachable PostgreSQL (default 30 s). */
  connectTimeoutMs?: number;
  /** Largest number of PostgreSQL connections this process holds (default 10). */
  poolMax?: number;
}

/** Opens the store `opts` describes; see the module comment for what each failure becomes. */
export async function openStore<DB>(opts: OpenStoreOptions): Promise<Store<DB>> {
  const label = `the ${opts.service} database`;
  return opts.url ? openPostgres<DB>(opts, label) : openSqlite<DB>(opts, label);
}

// ---------------------------------------------------------------------------------------------------
// SQLite

function openSqlite<DB>(opts: OpenStoreOptions, label: string): Store<DB> {
  const module = opts.module ?? 'main';
  const sqliteSteps = opts.migrations.map((m) => m.sqlite);
  let raw: BetterSqlite3.Database;
  let created: boolean;
  if (module === 'main') {
    raw = openDatabase(opts.file, sqliteSteps);
    created = wasCreated(raw);
  } else {
    raw = openDatabase(opts.file, sqliteSteps, { module });
    created = moduleCreated(raw);
  }
  const health = { available: true };
  const db = new Kysely<DB>({
    dialect: guarded(new SqliteDialect({ database: raw }), label, health, 'sqlite', 'begin immediate'),
  });
  return makeStore(
    db,
    'sqlite',
    label,
    created,
    health,
    async () => {
      await db.destroy();
    },
    raw,
  );
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

async function openPostgres<DB>(opts: OpenStoreOptions, label: string): Promise<Store<DB>> {
  const { default: pg } = await import('pg');
  const url = opts.url!;
  const shown = maskSecret(url);
  const config: PoolConfig = {
    connectionString: url,
    max: opts.poolMax ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: `msi-${opts.service}`,
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        // count(*) and bigint columns as numbers (ours stay far below 2^53), timestamps as ISO strings
        // (the same values SQLite stores), everything else as node-postgres parses it.
        if (oid === 20) return (v: string) => Number(v);
        if (oid === 1184) {
          const parse = pg.types.getTypeParser(oid);
          return (v: string) => (parse(v) as Date).toISOString();
        }
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  // An idle connection that the server drops (a restart) must not take the process down: the pool makes a
  // new one for the next query.
  pool.on('error', (err) => opts.log?.warn({ err: err.message }, `${label}: idle connection lost`));
  // …and one lost while checked out between queries either: the query in flight (if any) fails by itself.
  pool.on('connect', (client) => client.on('error', () => undefined));

  const module = opts.module ?? 'main';
  let created: boolean;
  try {
    created = await migratePostgres(pool, module, opts, label, shown);
  } catch (err) {
    // A connection attempt still waiting on a server that accepted but never answered keeps pool.end()
    // waiting with it: give it a moment, then report the error anyway (start-up then exits).
    await Promise.race([pool.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    throw err;
  }
  const health = { available: true };
  const db = new Kysely<DB>({ dialect: guarded(new PostgresDialect({ pool }), label, health, 'postgresql') });
  return makeStore(db, 'postgres', label, created, health, async () => {
    await db.destroy();
  });
}

/** Waits for the server (up to the connect timeout), then applies what is missing under the module's lock. */
async function migratePostgres(
  pool: Pool,
  module: string,
  opts: OpenStoreOptions,
  label: string,
  shown: string,
): Promise<boolean> {
  const deadline = Date.now() + (opts.connectTimeoutMs ?? 30_000);
  let client: PoolClient | undefined;
  let warned = false;
  for (;;) {
    try {
      client = await pool.connect();
      break;
    } catch (err) {
      refuseBadUrl(err, shown);
      if (!isUnavailable(err)) {
        throw new ConfigError(
          'DATABASE_URL',
          `a database this service can connect to: ${(err as Error).message}`,
          shown,
        );
      }
      if (Date.now() >= deadline) throw new DatabaseUnavailableError(label, err);
      if (!warned) {
        opts.log?.warn({ err: (err as Error).message }, `${label} at ${shown} does not answer yet; waiting`);
        warned = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`msi:${module}`]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)',
      );
      const found = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations WHERE module = $1',
        [module],
      );
      const version = found.rows[0]?.version ?? 0;
      if (version > opts.migrations.length) {
        throw new ConfigError(
          'DATABASE_URL',
          `a database whose ${module} schema this build knows (it has version ${version}, this build ${opts.migrations.length}; use a newer build)`,
          shown,
        );
      }
      for (let v = version; v < opts.migrations.length; v++) {
        const step = opts.migrations[v]!.postgres;
        await client.query('BEGIN');
        try {
          if (typeof step === 'string') await client.query(step);
          else await step(client);
          await client.query(
            'INSERT INTO schema_migrations (module, version) VALUES ($1, $2) ON CONFLICT (module) DO UPDATE SET version = excluded.version',
            [module, v + 1],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`${label}: migration ${v + 1} of ${module} failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      return version === 0;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`msi:${module}`]).catch(() => undefined);
    }
  } catch (err) {
    if (isUnavailable(err)) throw new DatabaseUnavailableError(label, err);
    throw err;
  } finally {
    client.release();
  }
}

/** A URL the server answers but refuses (no such database, bad password, no such role) is a config error. */
function refuseBadUrl(err: unknown, shown: string): void {
  const e = err as { code?: string; message?: string };
  const why: Record<string, string> = {
    '3D000': 'an existing database (create it first: createdb, see docs/postgresql.md)',
    '28P01': 'a URL whose user and password the server accepts',
    '28000': 'a URL whose user the server accepts',
    '42501': 'a URL whose user may connect to that database',
  };
  const expected = e.code ? why[e.code] : undefined;
  if (expected) throw new ConfigError('DATABASE_URL', `${expected}: ${e.message}`, shown);
  if (e.code === 'ENOTFOUND') throw new ConfigError('DATABASE_URL', `a reachable host: ${e.message}`, shown);
}

// ---------------------------------------------------------------------------------------------------
// Both

function makeStore<DB>(
  db: Kysely<DB>,
  dialect: Dialect,
  label: string,
  created: boolean,
  health: { available: boolean },
  close: () => Promise<void>,
  sqlite?: BetterSqlite3.Database,
): Store<DB> {
  let closed: Promise<void> | undefined;
  return {
    db,
    ...(sqlite ? { sqlite } : {}),
    dialect,
    label,
    wasCreated: created,
    get available() {
      return health.available;
    },
    async ping() {
      await db.executeQuery(CompiledQuery.raw('SELECT 1'));
    },
    transaction: (fn) => db.transaction().execute(fn),
    close: () => (closed ??= close()),
  };
}

/**
 * The dialect with its driver wrapped: errors that mean "no database" become DatabaseUnavailableError
 * (and mark the store unavailable until a query succeeds), SQLite transactions BEGIN IMMEDIATE, and each
 * query is a span when traces are exported (its SQL with placeholders: never a parameter's value).
 */
function guarded(
  inner: KyselyDialect,
  label: string,
  health: { available: boolean },
  system: 'sqlite' | 'postgresql',
  begin?: string,
): KyselyDialect {
  const wrap = (err: unknown): unknown => {
    if (!isUnavailable(err)) return err;
    health.available = false;
    return err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(label, err);
  };
  const ok = <T>(v: T): T => {
    health.available = true;
    return v;
  };
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver(): Driver {
      const d = inner.createDriver();
      const inners = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const unwrap = (c: DatabaseConnection) => inners.get(c) ?? c;
      const call = async <T>(p: () => Promise<T>): Promise<T> => {
        try {
          return ok(await p());
        } catch (err) {
          throw wrap(err);
        }
      };
      const driver: Driver = {
        init: () => call(() => d.init()),
        async acquireConnection() {
          const c = await call(() => d.acquireConnection());
          const outer: DatabaseConnection = {
            // Nothing logs inside a query: without exported traces it is no span at all, at no cost; nor
            // is a query of no request's (start-up, background work), which would be a trace of its own.
            executeQuery: <R>(q: CompiledQuery) =>
              tracingEnabled() && currentTrace()
                ? inSpan(querySpanName(q.sql, label), querySpanAttributes(q.sql, system), () =>
                    call<QueryResult<R>>(() => c.executeQuery<R>(q)),
                  )
                : call<QueryResult<R>>(() => c.executeQuery<R>(q)),
            streamQuery: (q, chunk) => c.streamQuery(q, chunk),
          };
          inners.set(outer, c);
          return outer;
        },
        beginTransaction: (c, settings: TransactionSettings) =>
          call(() =>
            begin
              ? unwrap(c)
                  .executeQuery(CompiledQuery.raw(begin))
                  .then(() => undefined)
              : d.beginTransaction(unwrap(c), settings),
          ),
        commitTransaction: (c) => call(() => d.commitTransaction(unwrap(c))),
        rollbackTransaction: (c) => call(() => d.rollbackTransaction(unwrap(c))),
        releaseConnection: (c) => d.releaseConnection(unwrap(c)),
        destroy: () => d.destroy(),
      };
      if (d.savepoint) driver.savepoint = (c, n, q) => call(() => d.savepoint!(unwrap(c), n, q));
      if (d.rollbackToSavepoint) {
        driver.rollbackToSavepoint = (c, n, q) => call(() => d.rollbackToSavepoint!(unwrap(c), n, q));
      }
      if (d.releaseSavepoint)
        driver.releaseSavepoint = (c, n, q) => call(() => d.releaseSavepoint!(unwrap(c), n, q));
      return driver;
    },
  };
}

/** `SELECT tickets`: the statement's verb and first table (OpenTelemetry's database span naming). */
function querySpanName(sql: string, label: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = /\b(?:from|into|update|join)\s+"?([\w.]+)"?/i.exec(sql)?.[1];
  return table ? `${verb} ${table}` : `${verb} ${label.replace(/^the | database$/g, '')}`;
}

function querySpanAttributes(sql: string, system: 'sqlite' | 'postgresql') {
  return {
    kind: 'client' as const,
    attributes: {
      'db.system.name': system,
      'db.operation.name': /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase(),
      'db.query.text': sql.length > 2000 ? `${sql.slice(0, 2000)}…` : sql,
    },
  };
}
