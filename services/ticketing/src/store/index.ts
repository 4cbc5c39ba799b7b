/**
 * Tickets as the principal may see and change them, on either backend (the kit's Store: SQLite or
 * PostgreSQL through one query layer). Every read is limited to what the verified principal may see
 * (access.ts); every write runs in one transaction together with its append-only event row, the ticket
 * row locked first (writes.ts). Organization names and assignable staff come from this server's own
 * directory.
 */
import { sql, type Kysely } from 'kysely';
import { ToolError } from '@msi/kit';
import type { TicketingDb, TicketingStore } from '../db.js';
import { isStaff, seesOrganization, visibility, type Who } from '../access.js';
import { LIMITS, parseTicketNumber } from '../model.js';
import { Directory } from './directory.js';
import {
  toComment,
  toCore,
  toEvent,
  type CommentOut,
  type EventOut,
  type TicketCore,
  type TicketRow,
} from './rows.js';
import { searchTickets, ticketStats, type Reader, type SearchFilters, type SearchResult } from './search.js';
import {
  addComment,
  createTicket,
  resolveTicket,
  updateTicket,
  type NewTicket,
  type Writer,
} from './writes.js';

export type { SearchFilters, SearchResult } from './search.js';
export type { CommentOut, EventOut, TicketCore, TicketRow, TicketSummary } from './rows.js';
export type Clock = () => Date;
export type Db = Kysely<TicketingDb>;

export interface TicketDetail {
  ticket: TicketCore;
  comments: CommentOut[];
  history: EventOut[];
}

export class TicketStore implements Reader, Writer {
  readonly directory: Directory;
  readonly db: Db;

  constructor(
    readonly store: TicketingStore,
    private readonly clock: Clock = () => new Date(),
  ) {
    this.db = store.db;
    this.directory = new Directory(store, () => this.now());
  }

  get dialect() {
    return this.store.dialect;
  }

  now(): string {
    return this.clock().toISOString();
  }

  /** A flag column's value for this backend (0/1 on SQLite, a boolean on PostgreSQL). */
  flag(v: boolean): number | boolean {
    return this.store.dialect === 'sqlite' ? (v ? 1 : 0) : v;
  }

  /**
   * The ticket `ref` if the principal may see it, else "not found" (also for numbers that do not exist).
   * With `lock` (inside a write's transaction) the row stays locked until it commits: two writers of one
   * ticket take turns (SQLite's write lock does the same for the whole file).
   */
  async load(p: Who, ref: string, db: Db = this.db, lock = false): Promise<TicketRow> {
    const id = parseTicketNumber(ref);
    const vis = visibility(p);
    const row =
      id === undefined
        ? undefined
        : await sql<TicketRow>`SELECT t.id, t.org, t.title, t.description, t.status, t.priority, t.category,
            t.product, t.reporter, t.assignee, t.created_at, t.updated_at, t.resolved_at, t.resolution,
            t.sla_due_at FROM tickets t WHERE t.id = ${id}${vis ? sql` AND ${vis}` : sql``}${
              lock && this.dialect === 'postgres' ? sql` FOR UPDATE` : sql``
            }`
            .execute(db)
            .then((r) => r.rows[0]);
    if (!row) throw new ToolError(`ticket ${ref.trim()} not found`);
    return row;
  }

  /** An organization slug from a slug, display name or legacy name, if the principal could see its tickets. */
  async resolveOrg(p: Who, ref: string, field: string): Promise<string> {
    const org = await this.directory.organization(ref);
    if (!org || !seesOrganization(p, org.slug)) {
      throw new ToolError(`${field}: organization "${ref.slice(0, LIMITS.org)}" not found`);
    }
    return org.slug;
  }

  async get(p: Who, ref: string): Promise<TicketDetail> {
    const row = await this.load(p, ref);
    const staff = isStaff(p);
    const [comments, history, orgName] = await Promise.all([
      this.db
        .selectFrom('comments')
        .select(['id', 'author', 'body', 'internal', 'created_at'])
        .where('ticket_id', '=', row.id)
        .$if(!staff, (q) => q.where('internal', '=', this.flag(false)))
        .orderBy('id')
        .execute(),
      this.db
        .selectFrom('events')
        .select(['at', 'actor', 'action', 'before', 'after'])
        .where('ticket_id', '=', row.id)
        .$if(!staff, (q) => q.where('internal', '=', this.flag(false)))
        .orderBy('id')
        .execute(),
      this.directory.nameOf(row.org),
    ]);
    return {
      ticket: toCore({ ...row, org_name: orgName }, this.now()),
      comments: comments.map(toComment),
      history: history.map(toEvent),
    };
  }

  /**
   * Searches and stats may be a moment stale: with DATABASE_READ_URL they run on the read replica, except
   * for a person whose own write it has not replayed yet (kit database.ts). Single tickets (`get`, `load`)
   * and everything a write reads stay on the primary.
   */
  private reading(p: Who): Reader {
    return {
      db: this.store.reader(whoWrites(p)),
      dialect: this.dialect,
      now: () => this.now(),
      resolveOrg: (who, ref, field) => this.resolveOrg(who, ref, field),
    };
  }

  search(p: Who, f: SearchFilters): Promise<SearchResult> {
    return searchTickets(this.reading(p), p, f);
  }

  stats(p: Who, orgRef?: string) {
    return ticketStats(this.reading(p), p, orgRef);
  }

  /** Recently updated tickets the principal may see (for resource listings). */
  async recent(p: Who, limit = 20) {
    return (await this.search(p, { limit })).tickets;
  }

  /** Runs `fn` in one transaction of the store (SQLite: BEGIN IMMEDIATE). */
  transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  create(p: Who, input: NewTicket) {
    return this.noted(p, createTicket(this, p, input));
  }

  update(p: Who, ref: string, changes: Parameters<typeof updateTicket>[3]) {
    return this.noted(p, updateTicket(this, p, ref, changes));
  }

  comment(p: Who, ref: string, input: { body: string; internal?: boolean }) {
    return this.noted(p, addComment(this, p, ref, input));
  }

  resolve(p: Who, ref: string, resolution: string) {
    return this.noted(p, resolveTicket(this, p, ref, resolution));
  }

  /** After `p`'s write has committed: their searches see it at once (read-your-own-writes). */
  private async noted<T>(p: Who, write: Promise<T>): Promise<T> {
    const result = await write;
    const who = whoWrites(p);
    if (who !== undefined) this.store.wrote(who);
    return result;
  }
}

/** Whose writes a read must see: a person's username; a service token reads what the replica has. */
function whoWrites(p: Who): string | undefined {
  return p.isService || !p.username ? undefined : p.username;
}
