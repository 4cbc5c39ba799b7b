import { join } from 'node:path';
import { openDatabase, wasCreated, type Db } from '@msi/kit';
import { MIGRATIONS } from './schema.js';
import { seed, DEFAULT_SEED } from './seed.js';

export const dbFile = (dataDir: string) => join(dataDir, 'organizations', 'organizations.sqlite');

/** Opens the service's database; a fresh one is seeded, an existing one is never overwritten. */
export function openOrganizationsDb(dataDir: string, seedNumber = DEFAULT_SEED): { db: Db; seeded: boolean } {
  const db = openDatabase(dbFile(dataDir), MIGRATIONS);
  const empty = (db.prepare('SELECT count(*) AS n FROM organizations').get() as { n: number }).n === 0;
  const fresh = wasCreated(db) || empty;
  if (fresh) seed(db, seedNumber);
  return { db, seeded: fresh };
}
