/**
 * Changing tickets. Each write is one transaction of the store together with its append-only event row.
 * What it checks it reads locked: on SQLite the transaction takes the write lock up front (BEGIN
 * IMMEDIATE); on PostgreSQL the ticket row is read FOR UPDATE, and new numbers are taken under a
 * transaction-scoped advisory lock, so writers in several processes take turns instead of overwriting
 * each other or taking the same number.
 */
import { sql } from 'kysely';
import { ToolError } from '@msi/kit';
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
import type { Db } from './index.js';
import { toCore, type CommentOut, type TicketCore, type TicketRow } from './rows.js';

/** What writing needs from the store. */
export interface Writer {
  readonly directory: Directory;
  readonly dialect: 'sqlite' | 'postgres';
  now(): string;
  flag(v: boolean): number | boolean;
  transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** The ticket `ref` if the principal may see it, else "not found"; `lock`: locked until commit. */
  load(p: Who, ref: string, db?: Db, lock?: boolean): Promise<TicketRow>;
  resolveOrg(p: Who, ref: string, field: string): Promise<string>;
}

/** The advisory lock key under which PostgreSQL hands out ticket numbers (one writer at a time). */
const NUMBERS_LOCK = 'msi:ticketing:numbers';

export interface NewTicket {
  org?: string;
  title: string;
  description: string;
  priority?: Priority;
  category?: Category;
  product?: Product;
}

const core = async (s: Writer, db: Db, r: TicketRow) =>
  toCore({ ...r, org_name: await s.directory.nameOf(r.org, db) }, s.now());

export async function createTicket(s: Writer, p: Who, input: NewTicket): Promise<{ ticket: TicketCore }> {
  const role = roleOf(p);
  if (!role) throw new ToolError('only a signed-in person can create tickets');
  let org: string;
  if (input.org !== undefined) org = await s.resolveOrg(p, input.org, 'org');
  else if (!seesAll(p) && p.organizations.length === 1) org = p.organizations[0]!;
  else throw new ToolError('org: say which organization the ticket is for');
  if (role === 'customer' && !p.organizations.includes(org))
    throw new ToolError(`org: organization "${input.org}" not found`);

  return s.transaction(async (db) => {
    if (s.dialect === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(hashtext(${NUMBERS_LOCK}))`.execute(db);
    const now = s.now();
    const priority = input.priority ?? 'normal';
    const { next } = await db
      .selectFrom('tickets')
      .select(sql<number>`coalesce(max(id), ${FIRST_NUMBER - 1}) + 1`.as('next'))
      .executeTakeFirstOrThrow();
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
    await db.insertInto('tickets').values(row).execute();
    const { id: _id, ...after } = row;
    await appendEvent(s, db, row.id, p.username, 'created', null, after, false, now);
    await reindexTicket(s.dialect, db, row.id);
    return { ticket: await core(s, db, row) };
  });
}

export async function updateTicket(
  s: Writer,
  p: Who,
  ref: string,
  changes: { status?: Status; priority?: Priority; assignee?: string | null },
): Promise<{ ticket: TicketCore; changed: string[] }> {
  if (changes.status === undefined && changes.priority === undefined && changes.assignee === undefined) {
    throw new ToolError('give at least one of status, priority or assignee to change');
  }
  return s.transaction(async (db) => {
    const row = await s.load(p, ref, db, true);
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
        const staff = await s.directory.staff(assignee, db);
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
    if (changed.length === 0) return { ticket: await core(s, db, row), changed };
    next.updated_at = s.now();
    await db
      .updateTable('tickets')
      .set({
        status: next.status,
        priority: next.priority,
        assignee: next.assignee,
        sla_due_at: next.sla_due_at,
        resolution: next.resolution,
        resolved_at: next.resolved_at,
        updated_at: next.updated_at,
      })
      .where('id', '=', row.id)
      .execute();
    await appendEvent(s, db, row.id, p.username, 'updated', before, after, false, next.updated_at);
    return { ticket: await core(s, db, next), changed };
  });
}

export async function addComment(
  s: Writer,
  p: Who,
  ref: string,
  input: { body: string; internal?: boolean },
): Promise<{ ticket: TicketCore; comment: CommentOut }> {
  const internal = input.internal ?? false;
  return s.transaction(async (db) => {
    const row = await s.load(p, ref, db, true);
    if (internal && !isStaff(p))
      throw new ToolError('internal: only support staff can add internal comments');
    if (row.status === 'closed')
      throw new ToolError(`${ticketNumber(row.id)} is closed; open a new ticket instead`);
    const now = s.now();
    const { id } = await db
      .insertInto('comments')
      .values({
        ticket_id: row.id,
        author: p.username,
        body: input.body,
        internal: s.flag(internal),
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const body = { commentId: id, internal, body: input.body };
    await appendEvent(s, db, row.id, p.username, 'commented', null, body, internal, now);
    const next = { ...row, updated_at: now };
    // A customer's answer puts a ticket that waited on them back in the queue.
    if (!isStaff(p) && row.status === 'waiting_on_customer') {
      next.status = 'in_progress';
      const change = [{ status: row.status }, { status: next.status }] as const;
      await appendEvent(s, db, row.id, p.username, 'updated', ...change, false, now);
    }
    await db
      .updateTable('tickets')
      .set({ updated_at: now, status: next.status })
      .where('id', '=', row.id)
      .execute();
    await reindexTicket(s.dialect, db, row.id);
    return {
      ticket: await core(s, db, next),
      comment: { id, author: p.username, body: input.body, internal, createdAt: now },
    };
  });
}

export async function resolveTicket(
  s: Writer,
  p: Who,
  ref: string,
  resolution: string,
): Promise<{ ticket: TicketCore }> {
  return s.transaction(async (db) => {
    const row = await s.load(p, ref, db, true);
    if (!isStaff(p)) throw new ToolError(`${ticketNumber(row.id)}: only support staff can resolve tickets`);
    if (!UNRESOLVED.includes(row.status)) {
      throw new ToolError(`status: ${ticketNumber(row.id)} is already ${row.status}`);
    }
    const now = s.now();
    const next: TicketRow = { ...row, status: 'resolved', resolution, resolved_at: now, updated_at: now };
    await db
      .updateTable('tickets')
      .set({ status: next.status, resolution, resolved_at: now, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    const after = { status: 'resolved', resolution };
    await appendEvent(s, db, row.id, p.username, 'resolved', { status: row.status }, after, false, now);
    return { ticket: await core(s, db, next) };
  });
}

async function appendEvent(
  s: Writer,
  db: Db,
  ticketId: number,
  actor: string,
  action: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  internal: boolean,
  at: string,
): Promise<void> {
  await db
    .insertInto('events')
    .values({
      ticket_id: ticketId,
      actor,
      action,
      at,
      before: before && JSON.stringify(before),
      after: after && JSON.stringify(after),
      internal: s.flag(internal),
    })
    .execute();
}

/** Rebuilds the search entry of one ticket from its current title, description and comments. */
export async function reindexTicket(dialect: 'sqlite' | 'postgres', db: Db, id: number): Promise<void> {
  if (dialect === 'postgres') {
    await sql`UPDATE tickets t SET search_public = v.pub, search_all = v.pub || v.int
      FROM (SELECT
        ticket_search_public(x.title, x.description, coalesce((SELECT string_agg(c.body, ' ' ORDER BY c.id)
          FROM comments c WHERE c.ticket_id = x.id AND NOT c.internal), '')) AS pub,
        ticket_search_internal(coalesce((SELECT string_agg(c.body, ' ' ORDER BY c.id)
          FROM comments c WHERE c.ticket_id = x.id AND c.internal), '')) AS int
        FROM tickets x WHERE x.id = ${id}) v
      WHERE t.id = ${id}`.execute(db);
    return;
  }
  await sql`DELETE FROM tickets_fts WHERE rowid = ${id}`.execute(db);
  await sql`INSERT INTO tickets_fts (rowid, title, description, public_comments, internal_comments)
     SELECT t.id, t.title, t.description,
       coalesce((SELECT group_concat(body, ' ') FROM comments WHERE ticket_id = t.id AND internal = 0), ''),
       coalesce((SELECT group_concat(body, ' ') FROM comments WHERE ticket_id = t.id AND internal = 1), '')
     FROM tickets t WHERE t.id = ${id}`.execute(db);
}
