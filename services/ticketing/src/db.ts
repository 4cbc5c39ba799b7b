import { join } from 'node:path';
import { openDatabase, type Db, type Migration } from '@msi/kit';

/**
 * The ticketing schema. Ticket ids are the numbers (`TCK-1042` is row 1042). `events` is append-only
 * (triggers refuse UPDATE and DELETE). `tickets_fts` indexes title, description and comments, with
 * public and internal comments in separate columns so a customer's search never matches internal text.
 */
export const MIGRATIONS: Migration[] = [
  `
  CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    org         TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open','in_progress','waiting_on_customer','resolved','closed')),
    priority    TEXT NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
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
];

export function ticketingDbFile(dataDir: string): string {
  return join(dataDir, 'ticketing', 'ticketing.sqlite');
}

export function openTicketingDb(file: string): Db {
  return openDatabase(file, MIGRATIONS);
}

/** Rebuilds the search row of one ticket from its current title, description and comments. */
export function reindexTicket(db: Db, id: number): void {
  db.prepare('DELETE FROM tickets_fts WHERE rowid = ?').run(id);
  db.prepare(
    `INSERT INTO tickets_fts (rowid, title, description, public_comments, internal_comments)
     SELECT t.id, t.title, t.description,
       coalesce((SELECT group_concat(body, ' ') FROM comments WHERE ticket_id = t.id AND internal = 0), ''),
       coalesce((SELECT group_concat(body, ' ') FROM comments WHERE ticket_id = t.id AND internal = 1), '')
     FROM tickets t WHERE t.id = ?`,
  ).run(id);
}
