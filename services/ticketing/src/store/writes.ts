/**
 * Changing tickets. Each write takes the write lock up front (BEGIN IMMEDIATE), so a check and its write
 * never interleave, and runs in one transaction together with its append-only event row.
 */
import { ToolError, type Db } from '@msi/kit';
import { assignableTo, canAssign, isStaff, roleOf, seesAll, type Who } from '../access.js';
import {
  FIRST_NUMBER,
  UNRESOLVED,
  TRANSITIONS,
  slaDue,
  ticketNumber,
  type Category,
  type Priority,
  type Product,
  type Status,
} from '../model.js';
import type { Directory } from './directory.js';
import { toCore, type CommentOut, type TicketCore, type TicketRow } from './rows.js';

/** What writing needs from the store. */
export interface Writer {
  readonly db: Db;
  readonly directory: Directory;
  now(): string;
  /** The ticket `ref` if the principal may see it, else "not found". */
  load(p: Who, ref: string): TicketRow;
  resolveOrg(p: Who, ref: string, field: string): string;
}

export interface NewTicket {
  org?: string;
  title: string;
  description: string;
  priority?: Priority;
  category?: Category;
  product?: Product;
}

const core = (s: Writer, r: TicketRow) => toCore({ ...r, org_name: s.directory.nameOf(r.org) }, s.now());

export function createTicket(s: Writer, p: Who, input: NewTicket): { ticket: TicketCore } {
  const role = roleOf(p);
  if (!role) throw new ToolError('only a signed-in person can create tickets');
  let org: string;
  if (input.org !== undefined) org = s.resolveOrg(p, input.org, 'org');
  else if (!seesAll(p) && p.organizations.length === 1) org = p.organizations[0]!;
  else throw new ToolError('org: say which organization the ticket is for');
  if (role === 'customer' && !p.organizations.includes(org))
    throw new ToolError(`org: organization "${input.org}" not found`);

  return s.db
    .transaction(() => {
      const now = s.now();
      const priority = input.priority ?? 'normal';
      const next = (
        s.db.prepare('SELECT coalesce(max(id), ?) + 1 AS id FROM tickets').get(FIRST_NUMBER - 1) as {
          id: number;
        }
      ).id;
      const row: TicketRow = {
        id: next,
        org,
        title: input.title,
        description: input.description,
        status: 'open',
        priority,
        category: input.category ?? 'other',
        product: input.product ?? 'other',
        reporter: p.username,
        assignee: null,
        created_at: now,
        updated_at: now,
        resolved_at: null,
        resolution: null,
        sla_due_at: slaDue(now, priority),
      };
      s.db
        .prepare(
          `INSERT INTO tickets (id, org, title, description, status, priority, category, product, reporter, assignee,
           created_at, updated_at, resolved_at, resolution, sla_due_at)
         VALUES (@id, @org, @title, @description, @status, @priority, @category, @product, @reporter, @assignee,
           @created_at, @updated_at, @resolved_at, @resolution, @sla_due_at)`,
        )
        .run(row);
      const { id: _id, ...after } = row;
      appendEvent(s.db, row.id, p.username, 'created', null, after, false, now);
      reindexTicket(s.db, row.id);
      return { ticket: core(s, row) };
    })
    .immediate();
}

export function updateTicket(
  s: Writer,
  p: Who,
  ref: string,
  changes: { status?: Status; priority?: Priority; assignee?: string | null },
): { ticket: TicketCore; changed: string[] } {
  if (changes.status === undefined && changes.priority === undefined && changes.assignee === undefined) {
    throw new ToolError('give at least one of status, priority or assignee to change');
  }
  return s.db
    .transaction(() => {
      const row = s.load(p, ref);
      if (!isStaff(p)) {
        throw new ToolError(
          `${ticketNumber(row.id)}: customers cannot change status, priority or assignee; add a comment instead`,
        );
      }
      if (changes.assignee !== undefined && !canAssign(p)) {
        throw new ToolError('assignee: only supervisors and admins assign tickets');
      }
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      const next = { ...row };
      if (changes.status !== undefined && changes.status !== row.status) {
        if (changes.status === 'resolved')
          throw new ToolError('status: use resolve_ticket to resolve a ticket (it records the resolution)');
        if (!TRANSITIONS[row.status].includes(changes.status)) {
          const allowed = TRANSITIONS[row.status];
          throw new ToolError(
            `status: a ${row.status} ticket cannot become ${changes.status}` +
              (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (closed tickets are final)'),
          );
        }
        before.status = row.status;
        after.status = next.status = changes.status;
        if (row.status === 'resolved' && changes.status === 'open') {
          before.resolution = row.resolution;
          after.resolution = next.resolution = null;
          next.resolved_at = null;
        }
      }
      if (changes.priority !== undefined && changes.priority !== row.priority) {
        if (row.status === 'closed') throw new ToolError('priority: closed tickets are final');
        before.priority = row.priority;
        after.priority = next.priority = changes.priority;
        before.slaDueAt = row.sla_due_at;
        after.slaDueAt = next.sla_due_at = slaDue(row.created_at, changes.priority);
      }
      if (changes.assignee !== undefined && changes.assignee !== row.assignee) {
        if (row.status === 'closed') throw new ToolError('assignee: closed tickets are final');
        let assignee = changes.assignee;
        if (assignee !== null) {
          const staff = s.directory.staff(assignee);
          const ok = assignableTo(staff, assignee, row.org);
          if (!ok.ok) throw new ToolError(`assignee: ${ok.reason}`);
          assignee = staff!.username;
        }
        if (assignee !== row.assignee) {
          before.assignee = row.assignee;
          after.assignee = next.assignee = assignee;
        }
      }
      const changed = Object.keys(after).filter((k) => k !== 'slaDueAt' && k !== 'resolution');
      if (changed.length === 0) return { ticket: core(s, row), changed };
      next.updated_at = s.now();
      s.db
        .prepare(
          `UPDATE tickets SET status = @status, priority = @priority, assignee = @assignee, sla_due_at = @sla_due_at,
           resolution = @resolution, resolved_at = @resolved_at, updated_at = @updated_at WHERE id = @id`,
        )
        .run(next);
      appendEvent(s.db, row.id, p.username, 'updated', before, after, false, next.updated_at);
      return { ticket: core(s, next), changed };
    })
    .immediate();
}

export function addComment(
  s: Writer,
  p: Who,
  ref: string,
  input: { body: string; internal?: boolean },
): { ticket: TicketCore; comment: CommentOut } {
  const internal = input.internal ?? false;
  return s.db
    .transaction(() => {
      const row = s.load(p, ref);
      if (internal && !isStaff(p))
        throw new ToolError('internal: only support staff can add internal comments');
      if (row.status === 'closed')
        throw new ToolError(`${ticketNumber(row.id)} is closed; open a new ticket instead`);
      const now = s.now();
      const id = Number(
        s.db
          .prepare(
            'INSERT INTO comments (ticket_id, author, body, internal, created_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(row.id, p.username, input.body, internal ? 1 : 0, now).lastInsertRowid,
      );
      const body = { commentId: id, internal, body: input.body };
      appendEvent(s.db, row.id, p.username, 'commented', null, body, internal, now);
      const next = { ...row, updated_at: now };
      // A customer's answer puts a ticket that waited on them back in the queue.
      if (!isStaff(p) && row.status === 'waiting_on_customer') {
        next.status = 'in_progress';
        const change = [{ status: row.status }, { status: next.status }] as const;
        appendEvent(s.db, row.id, p.username, 'updated', ...change, false, now);
      }
      s.db
        .prepare('UPDATE tickets SET updated_at = ?, status = ? WHERE id = ?')
        .run(now, next.status, row.id);
      reindexTicket(s.db, row.id);
      return {
        ticket: core(s, next),
        comment: { id, author: p.username, body: input.body, internal, createdAt: now },
      };
    })
    .immediate();
}

export function resolveTicket(s: Writer, p: Who, ref: string, resolution: string): { ticket: TicketCore } {
  return s.db
    .transaction(() => {
      const row = s.load(p, ref);
      if (!isStaff(p)) throw new ToolError(`${ticketNumber(row.id)}: only support staff can resolve tickets`);
      if (!UNRESOLVED.includes(row.status)) {
        throw new ToolError(`status: ${ticketNumber(row.id)} is already ${row.status}`);
      }
      const now = s.now();
      const next: TicketRow = { ...row, status: 'resolved', resolution, resolved_at: now, updated_at: now };
      s.db
        .prepare(
          'UPDATE tickets SET status = ?, resolution = ?, resolved_at = ?, updated_at = ? WHERE id = ?',
        )
        .run(next.status, resolution, now, now, row.id);
      const after = { status: 'resolved', resolution };
      appendEvent(s.db, row.id, p.username, 'resolved', { status: row.status }, after, false, now);
      return { ticket: core(s, next) };
    })
    .immediate();
}

function appendEvent(
  db: Db,
  ticketId: number,
  actor: string,
  action: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  internal: boolean,
  at: string,
) {
  db.prepare(
    'INSERT INTO events (ticket_id, actor, action, at, before, after, internal) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(
    ticketId,
    actor,
    action,
    at,
    before && JSON.stringify(before),
    after && JSON.stringify(after),
    internal ? 1 : 0,
  );
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
