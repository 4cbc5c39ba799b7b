import { join } from 'node:path';
import { openDatabase, sqlCheckIn, wasCreated, type Db, type SqliteMigration } from '@msi/kit';
import { MEMBER_PERMISSIONS, ORG_STATUSES, ORG_TYPES, PRODUCTS, TIERS } from './model.js';
import { seed, DEFAULT_SEED } from './seed.js';

/** The organizations database (MSI_DATA_DIR/organizations/organizations.sqlite). Applied in order, once. */
export const MIGRATIONS: SqliteMigration[] = [
  `
  CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    legacy_name   TEXT UNIQUE COLLATE NOCASE,
    type          TEXT NOT NULL ${sqlCheckIn('type', ORG_TYPES)},
    region        TEXT NOT NULL,
    tier          TEXT NOT NULL ${sqlCheckIn('tier', TIERS)},
    status        TEXT NOT NULL ${sqlCheckIn('status', ORG_STATUSES)},
    aware_service TEXT,
    customer_since TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );
  CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    product          TEXT NOT NULL ${sqlCheckIn('product', PRODUCTS)},
    status           TEXT NOT NULL ${sqlCheckIn('status', ORG_STATUSES)},
    version          TEXT NOT NULL,
    device_count     INTEGER NOT NULL CHECK (device_count >= 0),
    last_incident    TEXT,
    last_incident_at TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (org_id, product)
  );
  CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    username   TEXT NOT NULL COLLATE NOCASE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    title      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, username)
  );
  CREATE TABLE member_permissions (
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    permission TEXT NOT NULL ${sqlCheckIn('permission', MEMBER_PERMISSIONS)},
    PRIMARY KEY (member_id, permission)
  ) WITHOUT ROWID;
  -- Append-only: who changed what, when, with the state before and after (JSON).
  CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    org_id  INTEGER REFERENCES organizations(id),
    subject TEXT,
    before  TEXT,
    after   TEXT,
    note    TEXT
  );
  CREATE INDEX events_org ON events (org_id, id);
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
  `,
];

export const dbFile = (dataDir: string) => join(dataDir, 'organizations', 'organizations.sqlite');

/** Opens the service's database; a fresh one is seeded, an existing one is never overwritten. */
export function openOrganizationsDb(dataDir: string, seedNumber = DEFAULT_SEED): { db: Db; seeded: boolean } {
  const db = openDatabase(dbFile(dataDir), MIGRATIONS);
  const empty = (db.prepare('SELECT count(*) AS n FROM organizations').get() as { n: number }).n === 0;
  const fresh = wasCreated(db) || empty;
  if (fresh) seed(db, seedNumber);
  return { db, seeded: fresh };
}
