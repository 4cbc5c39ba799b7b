/** Reading many tickets: ranked full-text search with filters and paging, and the counts of ticket_stats. */
import { ToolError, sqlList, type Db } from '@msi/kit';
import { isStaff, visibility, type Who } from '../access.js';
import { PRIORITIES, UNRESOLVED, STATUSES, parseTicketNumber, type Priority, type Status } from '../model.js';
import { SUMMARY_COLUMNS, toSummary, type SummaryRow, type TicketSummary } from './rows.js';

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

/** What searching needs from the store. */
export interface Reader {
  readonly db: Db;
  now(): string;
  /** An organization slug from a slug or name, if the principal could see its tickets; else "not found". */
  resolveOrg(p: Who, ref: string, field: string): string;
}

export function searchTickets(s: Reader, p: Who, f: SearchFilters): SearchResult {
  const limit = f.limit ?? 20;
  const offset = f.offset ?? 0;
  const vis = visibility(p);
  // Conditions on the ticket row (none for a principal who sees everything and filters nothing).
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
    params.push(s.resolveOrg(p, f.org, 'org'));
  }
  for (const field of ['assignee', 'reporter'] as const) {
    const v = f[field];
    if (v === undefined) continue;
    if (field === 'assignee' && v.toLowerCase() === 'none') where.push('t.assignee IS NULL');
    else {
      where.push(`t.${field} = ?`);
      params.push(v.toLowerCase() === 'me' ? p.username : v);
    }
  }
  const page = (q: Omit<PageQuery, 'limit' | 'offset'>) => readPage(s, { ...q, limit, offset });

  const text = f.text?.trim();
  if (text && /^TCK-?\d+$/i.test(text)) {
    where.push('t.id = ?');
    params.push(parseTicketNumber(text));
    return page({ where, params, rank: '', ftsOnly: false, match: 'number', order: 'id' });
  }
  if (!text) {
    const order = f.sort === 'created' ? 'created_at DESC, id DESC' : 'updated_at DESC, id DESC';
    return page({ where, params, rank: '', ftsOnly: false, match: 'none', order });
  }

  const words = [...new Set(text.match(/[\p{L}\p{N}_]+/gu) ?? [])].slice(0, 16);
  if (words.length === 0) throw new ToolError('text: give at least one word or number to search for');
  const staff = isStaff(p);
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
  const matching = (op: 'AND' | 'OR', match: SearchResult['match']) =>
    page({
      where: [...where, 'tickets_fts MATCH ?'],
      params: [...params, `${columns}(${quoted.join(` ${op} `)})`],
      rank,
      ftsOnly,
      match,
      order,
    });
  const all = matching('AND', 'all_words');
  if (all.total > 0 || words.length === 1) return all;
  return matching('OR', 'any_word');
}

interface PageQuery {
  where: string[];
  params: unknown[];
  /** The ranking expression of a text search; '' without text. */
  rank: string;
  /** Whether the search needs no condition on the ticket rows (ranked by relevance only). */
  ftsOnly: boolean;
  match: SearchResult['match'];
  order: string;
  limit: number;
  offset: number;
}

function readPage(s: Reader, q: PageQuery): SearchResult {
  const { params, rank, ftsOnly, order, limit, offset } = q;
  // The filters go first in the WHERE so the MATCH parameter (last) lines up with its placeholder.
  const cond = q.where.join(' AND ') || '1 = 1';
  const from = !rank
    ? 'FROM tickets t'
    : ftsOnly
      ? 'FROM tickets_fts'
      : 'FROM tickets t JOIN tickets_fts ON tickets_fts.rowid = t.id';
  const matched = ftsOnly
    ? 'tickets_fts.rowid AS id, NULL AS updated_at, NULL AS created_at'
    : 't.id, t.updated_at, t.created_at';
  const count = () =>
    (s.db.prepare(`SELECT count(*) AS n ${from} WHERE ${cond}`).get(...params) as { n: number }).n;
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
      : (s.db.prepare(select).all(...params, limit, offset) as (SummaryRow & { total?: number })[]);
  const now = s.now();
  return {
    total: total ?? rows[0]?.total ?? (offset > 0 ? count() : 0),
    offset,
    limit,
    match: q.match,
    tickets: rows.map((r) => toSummary(r, now)),
  };
}

export function ticketStats(s: Reader, p: Who, orgRef?: string) {
  const vis = visibility(p);
  const where = [vis.sql];
  const params = [...vis.params];
  if (orgRef !== undefined) {
    where.push('t.org = ?');
    params.push(s.resolveOrg(p, orgRef, 'org'));
  }
  const cond = where.join(' AND ');
  // One pass over the covering facets index.
  const rows = s.db
    .prepare(
      `SELECT t.org, t.status, t.priority, count(*) AS n,
         sum(t.status IN (${sqlList(UNRESOLVED)}) AND t.sla_due_at < ?) AS overdue
       FROM tickets t WHERE ${cond} GROUP BY t.org, t.status, t.priority`,
    )
    .all(s.now(), ...params) as {
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
  const unresolved = UNRESOLVED.reduce((n, k) => n + byStatus[k], 0);
  return { total, unresolved, overdue, byStatus, byPriority, byOrganization };
}
