import Database from 'better-sqlite3';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** A migration: SQL text, or a function for what SQL alone cannot do. Applied in order, once. */
export type Migration = string | ((db: Db) => void);

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/**
 * Opens (creating if needed) a service's own SQLite file: WAL, busy timeout, foreign keys, and the
 * migrations not yet applied (tracked in `user_version`), each in its own transaction. A file that is
 * not a database gives a DataDirError that names the file and what to do.
 */
export function openDatabase(file: string, migrations: Migration[], opts: { readonly?: boolean } = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const isNew = file === ':memory:' || !existsSync(file);
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false });
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw new DataDirError(
      `${file} is not a usable SQLite database (${(err as Error).message}); move it aside or restore a backup`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length) {
    db.close();
    throw new DataDirError(
      `${file} has schema version ${version}, newer than this build knows (${migrations.length}); use a newer build`,
    );
  }
  for (let v = version; v < migrations.length; v++) {
    const m = migrations[v]!;
    db.transaction(() => {
      if (typeof m === 'string') db.exec(m);
      else m(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  Object.defineProperty(db, 'wasCreated', { value: isNew });
  return db;
}

/** True when `openDatabase` created the file (a fresh data dir to seed). */
export function wasCreated(db: Db): boolean {
  return (db as Db & { wasCreated?: boolean }).wasCreated === true;
}
