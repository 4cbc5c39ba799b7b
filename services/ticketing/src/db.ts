import { join } from 'node:path';
import { ROLES, openDatabase, sqlCheckIn, type Db, type SqliteMigration } from '@msi/kit';
import { PRIORITIES, STATUSES } from './model.js';

/**
 * The ticketing schema. Ticket ids are the numbers (`TCK-1042` is row 1042). `events` is append-only
 * (triggers refuse UPDATE and DELETE). `tickets_fts` indexes title, description and comments, with
 * public and internal comments in separate columns so a customer's search never matches internal text.
 * `organizations` and `staff` are this server's own directory (store/directory.ts): filled by the demo seed,
 * kept current from verified token claims, and imported by an administrator (`directory import`).
 */
export const MIGRATIONS: SqliteMigration[] = [
  `
  CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    org         TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL ${sqlCheckIn('status', STATUSES)},
    priority    TEXT NOT NULL ${sqlCheckIn('priority', PRIORITIES)},
    category    TEXT NOT NULL,
    product     TEXT NOT NULL,
    reporter    TEXT NOT NULL,
    assignee    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT,
    sla_due_at  TEXT NOT NULL
  );
  CREATE INDEX tickets_org_updated ON tickets (org, updated_at DESC);
  CREATE INDEX tickets_reporter_updated ON tickets (reporter, updated_at DESC);
  CREATE INDEX tickets_assignee_updated ON tickets (assignee, updated_at DESC);
  CREATE INDEX tickets_status_updated ON tickets (status, updated_at DESC);
  CREATE INDEX tickets_updated ON tickets (updated_at DESC);

  CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    internal   INTEGER NOT NULL CHECK (internal IN (0, 1)),
    created_at TEXT NOT NULL
  );
  CREATE INDEX comments_ticket ON comments (ticket_id, id);

  CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    at        TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    internal  INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_ticket ON events (ticket_id, id);
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

  CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    title, description, public_comments, internal_comments,
    tokenize = 'porter unicode61 remove_diacritics 2'
  );
  `,
  // Stats and filtered counts read only this covering index, not the rows.
  `CREATE INDEX tickets_facets ON tickets (org, status, priority, sla_due_at);`,
  // Ascending sort keys: "newest first, then highest number" is a backward scan with no sort step
  // (rowid ties come in index order). Status-first facets make filtered counts index-only.
  `
  DROP INDEX tickets_org_updated;
  DROP INDEX tickets_reporter_updated;
  DROP INDEX tickets_assignee_updated;
  DROP INDEX tickets_status_updated;
  DROP INDEX tickets_updated;
  DROP INDEX tickets_facets;
  CREATE INDEX tickets_org_updated ON tickets (org, updated_at);
  CREATE INDEX tickets_reporter_updated ON tickets (reporter, updated_at);
  CREATE INDEX tickets_assignee_updated ON tickets (assignee, updated_at);
  CREATE INDEX tickets_status_updated ON tickets (status, updated_at);
  CREATE INDEX tickets_updated ON tickets (updated_at);
  CREATE INDEX tickets_created ON tickets (created_at);
  CREATE INDEX tickets_facets ON tickets (status, priority, org, sla_due_at);
  `,
  `
  CREATE TABLE organizations (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL COLLATE NOCASE,
    legacy_name TEXT COLLATE NOCASE,
    updated_at  TEXT NOT NULL
  );
  CREATE INDEX organizations_name ON organizations (name);
  CREATE INDEX organizations_legacy_name ON organizations (legacy_name);
  CREATE TABLE staff (
    username      TEXT PRIMARY KEY COLLATE NOCASE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL ${sqlCheckIn(
      'role',
      ROLES.filter((r) => r !== 'customer'),
    )},
    organizations TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(organizations)),
    updated_at    TEXT NOT NULL
  );
  -- Organizations that already have tickets are known by their slug until a claim or an import names them.
  INSERT INTO organizations (slug, name, updated_at)
    SELECT DISTINCT org, org, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM tickets;
  `,
];

export function ticketingDbFile(dataDir: string): string {
  return join(dataDir, 'ticketing', 'ticketing.sqlite');
}

export function openTicketingDb(file: string): Db {
  return openDatabase(file, MIGRATIONS);
}
