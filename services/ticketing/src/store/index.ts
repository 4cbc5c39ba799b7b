/**
 * Tickets as the principal may see and change them. Every read is limited to what the verified principal
 * may see (access.ts); every write runs in one transaction together with its append-only event row
 * (writes.ts). Organization names and assignable staff come from this server's own directory.
 */
import { ToolError, type Db } from '@msi/kit';
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

export interface TicketDetail {
  ticket: TicketCore;
  comments: CommentOut[];
  history: EventOut[];
}

export class TicketStore implements Reader, Writer {
  readonly directory: Directory;

  constructor(
    readonly db: Db,
    private readonly clock: Clock = () => new Date(),
  ) {
    this.directory = new Directory(db, () => this.now());
  }

  now(): string {
    return this.clock().toISOString();
  }

  /** The ticket `ref` if the principal may see it, else "not found" (also for numbers that do not exist). */
  load(p: Who, ref: string): TicketRow {
    const id = parseTicketNumber(ref);
    const vis = visibility(p);
    const row =
      id === undefined
        ? undefined
        : (this.db
            .prepare(`SELECT t.* FROM tickets t WHERE t.id = ? AND ${vis.sql}`)
            .get(id, ...vis.params) as TicketRow | undefined);
    if (!row) throw new ToolError(`ticket ${ref.trim()} not found`);
    return row;
  }

  /** An organization slug from a slug, display name or legacy name, if the principal could see its tickets. */
  resolveOrg(p: Who, ref: string, field: string): string {
    const org = this.directory.organization(ref);
    if (!org || !seesOrganization(p, org.slug)) {
      throw new ToolError(`${field}: organization "${ref.slice(0, LIMITS.org)}" not found`);
    }
    return org.slug;
  }

  get(p: Who, ref: string): TicketDetail {
    const row = this.load(p, ref);
    const hidden = isStaff(p) ? '' : ' AND internal = 0';
    const comments = this.db
      .prepare(
        `SELECT id, author, body, internal, created_at FROM comments WHERE ticket_id = ?${hidden} ORDER BY id`,
      )
      .all(row.id) as Parameters<typeof toComment>[0][];
    const history = this.db
      .prepare(`SELECT at, actor, action, before, after FROM events WHERE ticket_id = ?${hidden} ORDER BY id`)
      .all(row.id) as Parameters<typeof toEvent>[0][];
    return {
      ticket: toCore({ ...row, org_name: this.directory.nameOf(row.org) }, this.now()),
      comments: comments.map(toComment),
      history: history.map(toEvent),
    };
  }

  search(p: Who, f: SearchFilters): SearchResult {
    return searchTickets(this, p, f);
  }

  stats(p: Who, orgRef?: string) {
    return ticketStats(this, p, orgRef);
  }

  /** Recently updated tickets the principal may see (for resource listings). */
  recent(p: Who, limit = 20) {
    return this.search(p, { limit }).tickets;
  }

  create(p: Who, input: NewTicket) {
    return createTicket(this, p, input);
  }

  update(p: Who, ref: string, changes: Parameters<typeof updateTicket>[3]) {
    return updateTicket(this, p, ref, changes);
  }

  comment(p: Who, ref: string, input: { body: string; internal?: boolean }) {
    return addComment(this, p, ref, input);
  }

  resolve(p: Who, ref: string, resolution: string) {
    return resolveTicket(this, p, ref, resolution);
  }
}
