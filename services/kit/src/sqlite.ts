import Database from 'better-sqlite3';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** A migration: SQL text, or a function for what SQL alone cannot do. Applied in order, once. */
export type SqliteMigration = string | ((db: Db) => void);

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** SQLite result codes that mean the file, not our SQL, is the problem. */
const STORAGE_ERRORS = /^SQLITE_(NOTADB|CORRUPT|CANTOPEN|IOERR|READONLY|PERM|FULL|AUTH)/;

function unusable(file: string, err: unknown): DataDirError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
  return new DataDirError(
    `${file} is not a usable SQLite database (${why}); move it aside or restore a backup`,
  );
}

/**
 * Opens (creating if needed) a service's own SQLite file: WAL, busy timeout, foreign keys, and the
 * `migrations` of module "main" not yet applied. A file that cannot be used (not a database, corrupt, a
 * directory, unreadable, its folder not creatable) gives a DataDirError that names the file and what to
 * do; the kit's start-up turns it into one line and exit code 74. More modules can share the file with
 * `applyMigrations`.
 */
export function openDatabase(
  file: string,
  migrations: SqliteMigration[],
  opts: { readonly?: boolean; module?: string } = {},
): Db {
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new DataDirError(
        `cannot create the folder ${dirname(file)} for ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  const isNew = file === ':memory:' || !existsSync(file);
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false });
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    throw unusable(file, err);
  }
  Object.defineProperty(db, 'wasCreated', { value: isNew });
  if (!opts.readonly) {
    try {
      const module = opts.module ?? 'main';
      Object.defineProperty(db, 'moduleCreated', { value: moduleVersion(db, module) === 0 });
      applyMigrations(db, module, migrations, file);
    } catch (err) {
      db.close();
      if (STORAGE_ERRORS.test(String((err as { code?: unknown }).code))) throw unusable(file, err);
      throw err;
    }
  }
  return db;
}

/**
 * Applies the migrations of `module` not yet applied (tracked per module in `schema_migrations`), each in
 * its own transaction: a failed migration leaves the file as it was.
 */
export function applyMigrations(db: Db, module: string, migrations: SqliteMigration[], file = db.name): void {
  const version = moduleVersion(db, module);
  if (version > migrations.length) {
    throw new DataDirError(
      `${file} has schema version ${version} for ${module}, newer than this build knows (${migrations.length}); use a newer build`,
    );
  }
  for (let v = version; v < migrations.length; v++) {
    const m = migrations[v]!;
    db.transaction(() => {
      if (typeof m === 'string') db.exec(m);
      else m(db);
      db.prepare(
        'INSERT INTO schema_migrations (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version',
      ).run(module, v + 1);
    })();
  }
}

function moduleVersion(db: Db, module: string): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').get(module) as
    { version: number } | undefined;
  return row?.version ?? 0;
}

/** True when `openDatabase` found none of its module's migrations applied (a fresh module to seed). */
export function moduleCreated(db: Db): boolean {
  return (db as Db & { moduleCreated?: boolean }).moduleCreated === true;
}

/** True when `openDatabase` created the file (a fresh data dir to seed). */
export function wasCreated(db: Db): boolean {
  return (db as Db & { wasCreated?: boolean }).wasCreated === true;
}
