/**
 * Data dirs for tests, e2e and benchmarks: a fresh temporary one, where each service keeps its SQLite
 * file in it (DESIGN.md: one folder per service), and read-only queries of those files (the services own
 * them; WAL mode lets a reader see their committed writes).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ServiceWithDb = 'idp' | 'ticketing' | 'organizations' | 'api';

/** A fresh temporary data dir, removed by the returned cleanup. */
export function tempDataDir(prefix = 'msi-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The SQLite file of `service` in `dataDir`: `<dataDir>/<service>/<service>.sqlite`. */
export function dbFile(dataDir: string, service: ServiceWithDb): string {
  return join(dataDir, service, `${service}.sqlite`);
}

/** Opens a service's SQLite file read-only (it must exist); close it when done. */
export function openReadOnly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** One read-only query, the file opened for it and closed at once. */
export function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = openReadOnly(file);
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
