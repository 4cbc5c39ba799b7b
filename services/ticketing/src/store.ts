/**
 * Tickets as the caller may see and change them. Every read is limited to what the verified caller may
 * see; every write runs in one transaction together with its append-only event row.
 */
import { ToolError, type Db } from '@msi/kit';
import { findDemoOrganization } from '@msi/kit/demo';
import {
  assignableTo,
  canAssign,
  isStaff,
  roleOf,
  seesAll,
  visibility,
  visibleOrganizations,
  type Caller,
} from './access.js';
import { reindexTicket } from './db.js';
import {
  FIRST_NUMBER,
  LIMITS,
  PRIORITIES,
  RESOLVABLE,
  STATUSES,
  TRANSITIONS,
  parseTicketNumber,
  slaDue,
  ticketNumber,
  type Category,
  type Priority,
  type Product,
  type Status,
} from './model.js';

export interface TicketRow {
  id: number;
  org: string;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  category: string;
  product: string;
  reporter: string;
  assignee: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  resolution: string | null;
  sla_due_at: string;
}

export interface TicketSummary {
  number: string;
  organization: string;
  organizationName: string;
  title: string;
  status: Status;
  priority: Priority;
  category: string;
  product: string;
  reporter: string;
  assignee: string | null;
  createdAt: string;
  updatedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
}
export interface TicketCore extends TicketSummary {
  description: string;
  resolution: string | null;
  resolvedAt: string | null;
}
export interface CommentOut {
  id: number;
  author: string;
  body: string;
  internal: boolean;
  createdAt: string;
}
export interface EventOut {
  at: string;
  actor: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface SearchFilters {
  text?: string;
  status?: Status[];
  priority?: Priority[];
  org?: string;
  assignee?: string;
  reporter?: string;
  sort?: 'relevance' | 'updated' | 'created';
  limit?: number;
  offset?: number;
}

export interface SearchResult {
  total: number;
  offset: number;
  limit: number;
  match: 'all_words' | 'any_word' | 'number' | 'none';
  tickets: TicketSummary[];
}

export type Clock = () => Date;

const SUMMARY_COLUMNS =
  't.id, t.org, t.title, t.status, t.priority, t.category, t.product, t.reporter, t.assignee, t.created_at, t.updated_at, t.resolved_at, t.sla_due_at';

/** Writes take the write lock up front (BEGIN IMMEDIATE), so a check and its write never interleave. */
export class TicketStore {
  constructor(
    readonly db: Db,
    private readonly clock: Clock = () => new Date(),
  ) {}

  private now(): string {
    return this.clock().toISOString();
  }

  // ---------- reading ----------

  /** The ticket `ref` if the caller may see it, else "not found" (also for numbers that do not exist). */
  private load(caller: Caller, ref: string): TicketRow {
    const id = parseTicketNumber(ref);
    const vis = visibility(caller);
    const row =
      id === undefined
        ? undefined
        : (this.db
            .prepare(`SELECT t.* FROM tickets t WHERE t.id = ? AND ${vis.sql}`)
            .get(id, ...vis.params) as TicketRow | undefined);
    if (!row) throw new ToolError(`ticket ${ref.trim()} not found`);
    return row;
  }

  get(caller: Caller, ref: string): { ticket: TicketCore; comments: CommentOut[]; history: EventOut[] } {
    const row = this.load(caller, ref);
    const staff = isStaff(caller);
    const hidden = staff ? '' : ' AND internal = 0';
    const comments = (
      this.db
        .prepare(
          `SELECT id, author, body, internal, created_at FROM comments WHERE ticket_id = ?${hidden} ORDER BY id`,
        )
        .all(row.id) as { id: number; author: string; body: string; internal: number; created_at: string }[]
    ).map((c) => ({
      id: c.id,
      author: c.author,
      body: c.body,
      internal: c.internal === 1,
      createdAt: c.created_at,
    }));
    const history = (
      this.db
        .prepare(
          `SELECT at, actor, action, before, after FROM events WHERE ticket_id = ?${hidden} ORDER BY id`,
        )
        .all(row.id) as {
        at: string;
        actor: string;
        action: string;
        before: string | null;
        after: string | null;
      }[]
    ).map((e) => ({
      at: e.at,
      actor: e.actor,
      action: e.action,
      before: e.before ? (JSON.parse(e.before) as Record<string, unknown>) : null,
      after: e.after ? (JSON.parse(e.after) as Record<string, unknown>) : null,
    }));
    return { ticket: this.core(row), comments, history };
  }

  search(caller: Caller, f: SearchFilters): SearchResult {
    const limit = f.limit ?? 20;
    const offset = f.offset ?? 0;
    const vis = visibility(caller);
    // Conditions on the ticket row (none for a caller who sees everything and filters nothing).
    const where = vis.sql === '1 = 1' ? [] : [vis.sql];
    const params: unknown[] = [...vis.params];

    if (f.status?.length) {
      where.push(`t.status IN (${f.status.map(() => '?').join(', ')})`);
      params.push(...f.status);
    }
    if (f.priority?.length) {
      where.push(`t.priority IN (${f.priority.map(() => '?').join(', ')})`);
      params.push(...f.priority);
    }
    if (f.org !== undefined) {
      where.push('t.org = ?');
      params.push(this.resolveOrg(caller, f.org, 'org'));
    }
    for (const field of ['assignee', 'reporter'] as const) {
      const v = f[field];
      if (v === undefined) continue;
      if (field === 'assignee' && v.toLowerCase() === 'none') where.push('t.assignee IS NULL');
      else {
        where.push(`t.${field} = ?`);
        params.push(v.toLowerCase() === 'me' ? caller.username : v);
      }
    }

    const text = f.text?.trim();
    if (text && /^TCK-?\d+$/i.test(text)) {
      where.push('t.id = ?');
      params.push(parseTicketNumber(text));
      return this.page(where, params, '', false, 'number', 'id', limit, offset);
    }
    if (!text) {
      const order = f.sort === 'created' ? 'created_at DESC, id DESC' : 'updated_at DESC, id DESC';
      return this.page(where, params, '', false, 'none', order, limit, offset);
    }

    const words = [...new Set(text.match(/[\p{L}\p{N}_]+/gu) ?? [])].slice(0, 16);
    if (words.length === 0) throw new ToolError('text: give at least one word or number to search for');
    const staff = isStaff(caller);
    const columns = staff ? '' : '{title description public_comments} : ';
    const weights = staff ? '10.0, 4.0, 1.0, 1.0' : '10.0, 4.0, 1.0, 0.0';
    const quoted = words.map((w) => `"${w.replace(/"/g, '""')}"`);
    const order =
      f.sort === 'updated'
        ? 'updated_at DESC, id DESC'
        : f.sort === 'created'
          ? 'created_at DESC, id DESC'
          : 'score, id DESC';
    const rank = `bm25(tickets_fts, ${weights})`;
    // Ranking alone needs no ticket rows: only the page's rows are read then.
    const ftsOnly = where.length === 0 && order.startsWith('score');
    const all = this.page(
      [...where, 'tickets_fts MATCH ?'],
      [...params, `${columns}(${quoted.join(' AND ')})`],
      rank,
      ftsOnly,
      'all_words',
      order,
      limit,
      offset,
    );
    if (all.total > 0 || words.length === 1) return all;
    return this.page(
      [...where, 'tickets_fts MATCH ?'],
      [...params, `${columns}(${quoted.join(' OR ')})`],
      rank,
      ftsOnly,
      'any_word',
      order,
      limit,
      offset,
    );
  }

  private page(
    where: string[],
    params: unknown[],
    /** The ranking expression of a text search; '' without text. */
    rank: string,
    /** Whether the search needs no condition on the ticket rows (ranked by relevance only). */
    ftsOnly: boolean,
    match: SearchResult['match'],
    order: string,
    limit: number,
    offset: number,
  ): SearchResult {
    // The filters go first in the WHERE so the MATCH parameter (last) lines up with its placeholder.
    const cond = where.join(' AND ') || '1 = 1';
    const from = !rank
      ? 'FROM tickets t'
      : ftsOnly
        ? 'FROM tickets_fts'
        : 'FROM tickets t JOIN tickets_fts ON tickets_fts.rowid = t.id';
    const matched = ftsOnly
      ? 'tickets_fts.rowid AS id, NULL AS updated_at, NULL AS created_at'
      : 't.id, t.updated_at, t.created_at';
    const count = () =>
      (this.db.prepare(`SELECT count(*) AS n ${from} WHERE ${cond}`).get(...params) as { n: number }).n;
    // A text search ranks every match anyway: rank only ids and sort keys, take the total from the same
    // pass (a window count), then read the page's rows. Without text the count uses the indexes and the
    // page stops after `limit` rows in index order.
    const select = rank
      ? `WITH m AS (SELECT ${matched}, ${rank} AS score ${from} WHERE ${cond}),
           p AS (SELECT id, count(*) OVER () AS total, row_number() OVER (ORDER BY ${order}) AS pos FROM m
                 ORDER BY pos LIMIT ? OFFSET ?)
         SELECT ${SUMMARY_COLUMNS}, p.total FROM p JOIN tickets t ON t.id = p.id ORDER BY p.pos`
      : `SELECT ${SUMMARY_COLUMNS} ${from} WHERE ${cond} ORDER BY ${order} LIMIT ? OFFSET ?`;
    const total = rank ? undefined : count();
    const rows =
      total === 0
        ? []
        : (this.db.prepare(select).all(...params, limit, offset) as (TicketRow & { total?: number })[]);
    return {
      total: total ?? rows[0]?.total ?? (offset > 0 ? count() : 0),
      offset,
      limit,
      match,
      tickets: rows.map((r) => this.summary(r)),
    };
  }

  stats(caller: Caller, orgRef?: string) {
    const vis = visibility(caller);
    const where = [vis.sql];
    const params = [...vis.params];
    if (orgRef !== undefined) {
      where.push('t.org = ?');
      params.push(this.resolveOrg(caller, orgRef, 'org'));
    }
    const cond = where.join(' AND ');
    // One pass over the covering facets index.
    const rows = this.db
      .prepare(
        `SELECT t.org, t.status, t.priority, count(*) AS n,
           sum(t.status IN ('open','in_progress','waiting_on_customer') AND t.sla_due_at < ?) AS overdue
         FROM tickets t WHERE ${cond} GROUP BY t.org, t.status, t.priority`,
      )
      .all(this.now(), ...params) as {
      org: string;
      status: Status;
      priority: Priority;
      n: number;
      overdue: number;
    }[];
    const byStatus = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Record<Status, number>;
    const byPriority = Object.fromEntries(PRIORITIES.map((k) => [k, 0])) as Record<Priority, number>;
    const byOrganization: Record<string, number> = {};
    let total = 0;
    let overdue = 0;
    for (const r of rows) {
      byStatus[r.status] += r.n;
      byPriority[r.priority] += r.n;
      byOrganization[r.org] = (byOrganization[r.org] ?? 0) + r.n;
      total += r.n;
      overdue += r.overdue;
    }
    const unresolved = byStatus.open + byStatus.in_progress + byStatus.waiting_on_customer;
    return { total, unresolved, overdue, byStatus, byPriority, byOrganization };
  }

  // ---------- writing ----------

  create(
    caller: Caller,
    input: {
      org?: string;
      title: string;
      description: string;
      priority?: Priority;
      category?: Category;
      product?: Product;
    },
  ): { ticket: TicketCore } {
    const role = roleOf(caller);
    if (!role) throw new ToolError('only a signed-in person can create tickets');
    let org: string;
    if (input.org !== undefined) org = this.resolveOrg(caller, input.org, 'org');
    else if (!seesAll(caller) && caller.organizations.length === 1) org = caller.organizations[0]!;
    else throw new ToolError('org: say which organization the ticket is for');
    if (role === 'customer' && !caller.organizations.includes(org))
      throw new ToolError(`org: organization "${input.org}" not found`);

    return this.db
      .transaction(() => {
        const now = this.now();
        const priority = input.priority ?? 'normal';
        const next = (
          this.db.prepare('SELECT coalesce(max(id), ?) + 1 AS id FROM tickets').get(FIRST_NUMBER - 1) as {
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
          reporter: caller.username,
          assignee: null,
          created_at: now,
          updated_at: now,
          resolved_at: null,
          resolution: null,
          sla_due_at: slaDue(now, priority),
        };
        this.db
          .prepare(
            `INSERT INTO tickets (id, org, title, description, status, priority, category, product, reporter, assignee,
             created_at, updated_at, resolved_at, resolution, sla_due_at)
           VALUES (@id, @org, @title, @description, @status, @priority, @category, @product, @reporter, @assignee,
             @created_at, @updated_at, @resolved_at, @resolution, @sla_due_at)`,
          )
          .run(row);
        const { id: _id, ...after } = row;
        this.event(row.id, caller.username, 'created', null, after, false, now);
        reindexTicket(this.db, row.id);
        return { ticket: this.core(row) };
      })
      .immediate();
  }

  update(
    caller: Caller,
    ref: string,
    changes: { status?: Status; priority?: Priority; assignee?: string | null },
  ): { ticket: TicketCore; changed: string[] } {
    if (changes.status === undefined && changes.priority === undefined && changes.assignee === undefined) {
      throw new ToolError('give at least one of status, priority or assignee to change');
    }
    return this.db
      .transaction(() => {
        const row = this.load(caller, ref);
        if (!isStaff(caller)) {
          throw new ToolError(
            `${ticketNumber(row.id)}: customers cannot change status, priority or assignee; add a comment instead`,
          );
        }
        if (changes.assignee !== undefined && !canAssign(caller)) {
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
          if (changes.assignee !== null) {
            const ok = assignableTo(changes.assignee, row.org);
            if (!ok.ok) throw new ToolError(`assignee: ${ok.reason}`);
          }
          before.assignee = row.assignee;
          after.assignee = next.assignee = changes.assignee;
        }
        const changed = Object.keys(after).filter((k) => k !== 'slaDueAt' && k !== 'resolution');
        if (changed.length === 0) return { ticket: this.core(row), changed };
        next.updated_at = this.now();
        this.db
          .prepare(
            `UPDATE tickets SET status = @status, priority = @priority, assignee = @assignee, sla_due_at = @sla_due_at,
             resolution = @resolution, resolved_at = @resolved_at, updated_at = @updated_at WHERE id = @id`,
          )
          .run(next);
        this.event(row.id, caller.username, 'updated', before, after, false, next.updated_at);
        return { ticket: this.core(next), changed };
      })
      .immediate();
  }

  comment(
    caller: Caller,
    ref: string,
    input: { body: string; internal?: boolean },
  ): { ticket: TicketCore; comment: CommentOut } {
    const internal = input.internal ?? false;
    return this.db
      .transaction(() => {
        const row = this.load(caller, ref);
        if (internal && !isStaff(caller))
          throw new ToolError('internal: only support staff can add internal comments');
        if (row.status === 'closed')
          throw new ToolError(`${ticketNumber(row.id)} is closed; open a new ticket instead`);
        const now = this.now();
        const id = Number(
          this.db
            .prepare(
              'INSERT INTO comments (ticket_id, author, body, internal, created_at) VALUES (?, ?, ?, ?, ?)',
            )
            .run(row.id, caller.username, input.body, internal ? 1 : 0, now).lastInsertRowid,
        );
        this.event(
          row.id,
          caller.username,
          'commented',
          null,
          { commentId: id, internal, body: input.body },
          internal,
          now,
        );
        const next = { ...row, updated_at: now };
        // A customer's answer puts a ticket that waited on them back in the queue.
        if (!isStaff(caller) && row.status === 'waiting_on_customer') {
          next.status = 'in_progress';
          this.event(
            row.id,
            caller.username,
            'updated',
            { status: row.status },
            { status: next.status },
            false,
            now,
          );
        }
        this.db
          .prepare('UPDATE tickets SET updated_at = ?, status = ? WHERE id = ?')
          .run(now, next.status, row.id);
        reindexTicket(this.db, row.id);
        return {
          ticket: this.core(next),
          comment: { id, author: caller.username, body: input.body, internal, createdAt: now },
        };
      })
      .immediate();
  }

  resolve(caller: Caller, ref: string, resolution: string): { ticket: TicketCore } {
    return this.db
      .transaction(() => {
        const row = this.load(caller, ref);
        if (!isStaff(caller))
          throw new ToolError(`${ticketNumber(row.id)}: only support staff can resolve tickets`);
        if (!RESOLVABLE.includes(row.status)) {
          throw new ToolError(`status: ${ticketNumber(row.id)} is already ${row.status}`);
        }
        const now = this.now();
        const next: TicketRow = { ...row, status: 'resolved', resolution, resolved_at: now, updated_at: now };
        this.db
          .prepare(
            'UPDATE tickets SET status = ?, resolution = ?, resolved_at = ?, updated_at = ? WHERE id = ?',
          )
          .run(next.status, resolution, now, now, row.id);
        this.event(
          row.id,
          caller.username,
          'resolved',
          { status: row.status },
          { status: 'resolved', resolution },
          false,
          now,
        );
        return { ticket: this.core(next) };
      })
      .immediate();
  }

  /** Recently updated tickets the caller may see (for resource listings). */
  recent(caller: Caller, limit = 20): TicketSummary[] {
    return this.search(caller, { limit }).tickets;
  }

  // ---------- helpers ----------

  /** An organization slug from a slug or display name, if the caller could see its tickets; else "not found". */
  resolveOrg(caller: Caller, ref: string, field: string): string {
    const org = findDemoOrganization(ref);
    if (!org || !visibleOrganizations(caller).includes(org.slug)) {
      throw new ToolError(`${field}: organization "${ref.slice(0, LIMITS.org)}" not found`);
    }
    return org.slug;
  }

  private event(
    ticketId: number,
    actor: string,
    action: string,
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
    internal: boolean,
    at: string,
  ) {
    this.db
      .prepare(
        'INSERT INTO events (ticket_id, actor, action, at, before, after, internal) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        ticketId,
        actor,
        action,
        at,
        before && JSON.stringify(before),
        after && JSON.stringify(after),
        internal ? 1 : 0,
      );
  }

  private summary(r: Omit<TicketRow, 'description' | 'resolution'>): TicketSummary {
    const done = r.resolved_at ?? (r.status === 'closed' ? r.updated_at : this.now());
    return {
      number: ticketNumber(r.id),
      organization: r.org,
      organizationName: findDemoOrganization(r.org)?.name ?? r.org,
      title: r.title,
      status: r.status,
      priority: r.priority,
      category: r.category,
      product: r.product,
      reporter: r.reporter,
      assignee: r.assignee,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      slaDueAt: r.sla_due_at,
      slaBreached: done > r.sla_due_at,
    };
  }

  private core(r: TicketRow): TicketCore {
    return {
      ...this.summary(r),
      description: r.description,
      resolution: r.resolution,
      resolvedAt: r.resolved_at,
    };
  }
}
