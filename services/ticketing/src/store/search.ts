/**
 * Reading many tickets: ranked full-text search with filters and paging, and the counts of ticket_stats.
 * The same filters on both backends; the text match is FTS5 with bm25 on SQLite and the weighted tsvector
 * columns with `websearch_to_tsquery` and `ts_rank` on PostgreSQL (db.ts), title 10×, description 4×,
 * comments 1× on both. Customers match only the public vector / the public FTS columns.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { ToolError, sqlList } from '@msi/kit';
import { isStaff, visibility, type Who } from '../access.js';
import { PRIORITIES, UNRESOLVED, STATUSES, parseTicketNumber, type Priority, type Status } from '../model.js';
import type { Db } from './index.js';
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
  readonly dialect: 'sqlite' | 'postgres';
  now(): string;
  /** An organization slug from a slug or name, if the principal could see its tickets; else "not found". */
  resolveOrg(p: Who, ref: string, field: string): Promise<string>;
}

type Cond = RawBuilder<SqlBool>;

export async function searchTickets(s: Reader, p: Who, f: SearchFilters): Promise<SearchResult> {
  const limit = f.limit ?? 20;
  const offset = f.offset ?? 0;
  const vis = visibility(p);
  // Conditions on the ticket row (none for a principal who sees everything and filters nothing).
  const where: Cond[] = vis ? [vis] : [];

  if (f.status?.length) where.push(sql<SqlBool>`t.status IN (${sql.join(f.status)})`);
  if (f.priority?.length) where.push(sql<SqlBool>`t.priority IN (${sql.join(f.priority)})`);
  if (f.org !== undefined) where.push(sql<SqlBool>`t.org = ${await s.resolveOrg(p, f.org, 'org')}`);
  for (const field of ['assignee', 'reporter'] as const) {
    const v = f[field];
    if (v === undefined) continue;
    if (field === 'assignee' && v.toLowerCase() === 'none') where.push(sql<SqlBool>`t.assignee IS NULL`);
    else where.push(sql<SqlBool>`${sql.ref(`t.${field}`)} = ${v.toLowerCase() === 'me' ? p.username : v}`);
  }
  const page = (q: Omit<PageQuery, 'limit' | 'offset'>) => readPage(s, { ...q, limit, offset });

  const text = f.text?.trim();
  if (text && /^TCK-?\d+$/i.test(text)) {
    where.push(sql<SqlBool>`t.id = ${parseTicketNumber(text)!}`);
    return page({ where, match: 'number', order: 'id' });
  }
  const byTime = f.sort === 'created' ? 'created' : 'updated';
  if (!text) return page({ where, match: 'none', order: byTime });

  const words = [...new Set(text.match(/[\p{L}\p{N}_]+/gu) ?? [])].slice(0, 16);
  if (words.length === 0) throw new ToolError('text: give at least one word or number to search for');
  const staff = isStaff(p);
  const order: PageQuery['order'] = f.sort === 'updated' || f.sort === 'created' ? f.sort : 'score';
  const matching = (op: 'AND' | 'OR', match: SearchResult['match']) =>
    page({ where, match, order, text: textMatch(s.dialect, words, op, staff) });
  const all = await matching('AND', 'all_words');
  if (all.total > 0 || words.length === 1) return all;
  return matching('OR', 'any_word');
}

interface TextMatch {
  /** FROM clause and the condition that matches, the ranking expression (lower is better). */
  from: RawBuilder<unknown>;
  /** Only the matching ids and scores, without the ticket rows (when no other condition applies). */
  fromOnly?: RawBuilder<unknown>;
  cond: Cond;
  score: RawBuilder<number>;
}

/** The text condition and ranking for `words` joined with `op`, as the principal may search. */
function textMatch(dialect: Reader['dialect'], words: string[], op: 'AND' | 'OR', staff: boolean): TextMatch {
  if (dialect === 'postgres') {
    // websearch_to_tsquery on plain words: implicit AND, `or` between them for any word.
    const q = sql`websearch_to_tsquery('english', ${words.join(op === 'AND' ? ' ' : ' or ')})`;
    const vector = sql.ref(staff ? 't.search_all' : 't.search_public');
    return {
      from: sql`tickets t`,
      cond: sql<SqlBool>`${vector} @@ ${q}`,
      // Negated so that, as with bm25, lower is better. Normalization 1: divided by 1 + log(length).
      score: sql<number>`-ts_rank('{0.1, 0.1, 0.4, 1.0}', ${vector}, ${q}, 1)`,
    };
  }
  const columns = staff ? '' : '{title description public_comments} : ';
  const weights = staff ? '10.0, 4.0, 1.0, 1.0' : '10.0, 4.0, 1.0, 0.0';
  const quoted = words.map((w) => `"${w.replace(/"/g, '""')}"`);
  return {
    from: sql`tickets t JOIN tickets_fts ON tickets_fts.rowid = t.id`,
    fromOnly: sql`tickets_fts`,
    cond: sql<SqlBool>`tickets_fts MATCH ${`${columns}(${quoted.join(` ${op} `)})`}`,
    score: sql<number>`bm25(tickets_fts, ${sql.raw(weights)})`,
  };
}

interface PageQuery {
  where: Cond[];
  /** The text match of a text search; none without text. */
  text?: TextMatch;
  match: SearchResult['match'];
  order: 'id' | 'updated' | 'created' | 'score';
  limit: number;
  offset: number;
}

/** How many of the newest matches a relevance-ranked search ranks (see readPage). */
export const RANK_WINDOW = 2000;

const ORDER = {
  id: sql`id`,
  updated: sql`updated_at DESC, id DESC`,
  created: sql`created_at DESC, id DESC`,
  score: sql`score, id DESC`,
};

async function readPage(s: Reader, q: PageQuery): Promise<SearchResult> {
  const { text, limit, offset } = q;
  const order = ORDER[q.order];
  const conds = text ? [...q.where, text.cond] : q.where;
  const cond = conds.length ? sql.join(conds, sql` AND `) : sql`1 = 1`;
  const columns = sql.raw(SUMMARY_COLUMNS);
  const count = async () =>
    (
      await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM ${text ? (text.fromOnly && q.where.length === 0 ? text.fromOnly : text.from) : sql`tickets t`} WHERE ${cond}`.execute(
        s.db,
      )
    ).rows[0]!.n;
  let rows: (SummaryRow & { total?: number })[];
  let total: number | undefined;
  if (text && q.order === 'score') {
    // Ranked by relevance among the newest RANK_WINDOW matches (by number): a word most tickets have is
    // ranked over a bounded set instead of every match, and the total is counted on its own (from the
    // index). Fewer matches than the window (nearly every search): exactly as ranking them all.
    const ftsOnly = text.fromOnly !== undefined && q.where.length === 0;
    const id = ftsOnly ? sql`tickets_fts.rowid` : sql`t.id`;
    const window = Math.max(RANK_WINDOW, offset + limit);
    const [counted, page] = await Promise.all([
      count(),
      sql<SummaryRow>`WITH m AS (SELECT ${id} AS id, ${text.score} AS score
           FROM ${ftsOnly ? text.fromOnly! : text.from} WHERE ${cond} ORDER BY ${id} DESC LIMIT ${window}),
         p AS (SELECT id, row_number() OVER (ORDER BY ${order}) AS pos FROM m
               ORDER BY pos LIMIT ${limit} OFFSET ${offset})
       SELECT ${columns} FROM p JOIN tickets t ON t.id = p.id ORDER BY p.pos`.execute(s.db),
    ]);
    total = counted;
    rows = page.rows;
  } else if (text) {
    // Sorted by time: every match's sort keys, the total from the same pass (a window count), then the
    // page's rows.
    rows = (
      await sql<SummaryRow & { total: number }>`WITH m AS (SELECT t.id, t.updated_at, t.created_at
           FROM ${text.from} WHERE ${cond}),
         p AS (SELECT id, count(*) OVER () AS total, row_number() OVER (ORDER BY ${order}) AS pos FROM m
               ORDER BY pos LIMIT ${limit} OFFSET ${offset})
       SELECT ${columns}, p.total FROM p JOIN tickets t ON t.id = p.id ORDER BY p.pos`.execute(s.db)
    ).rows;
  } else {
    // Without text the count uses the indexes and the page stops after `limit` rows in index order.
    total = await count();
    rows =
      total === 0
        ? []
        : (
            await sql<SummaryRow>`SELECT ${columns} FROM tickets t WHERE ${cond}
              ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`.execute(s.db)
          ).rows;
  }
  const now = s.now();
  return {
    total: total ?? rows[0]?.total ?? (offset > 0 ? await count() : 0),
    offset,
    limit,
    match: q.match,
    tickets: rows.map((r) => toSummary(r, now)),
  };
}

export async function ticketStats(s: Reader, p: Who, orgRef?: string) {
  const vis = visibility(p);
  const where: Cond[] = vis ? [vis] : [];
  if (orgRef !== undefined) where.push(sql<SqlBool>`t.org = ${await s.resolveOrg(p, orgRef, 'org')}`);
  const cond = where.length ? sql.join(where, sql` AND `) : sql`1 = 1`;
  const now = s.now();
  const overdue =
    s.dialect === 'postgres'
      ? sql`count(*) FILTER (WHERE t.status IN (${sql.raw(sqlList(UNRESOLVED))}) AND t.sla_due_at < ${now})`
      : sql`sum(t.status IN (${sql.raw(sqlList(UNRESOLVED))}) AND t.sla_due_at < ${now})`;
  // One pass over the covering facets index.
  const rows = (
    await sql<{
      org: string;
      status: Status;
      priority: Priority;
      n: number;
      overdue: number;
    }>`SELECT t.org, t.status, t.priority, count(*) AS n, ${overdue} AS overdue
       FROM tickets t WHERE ${cond} GROUP BY t.org, t.status, t.priority`.execute(s.db)
  ).rows;
  const byStatus = Object.fromEntries(STATUSES.map((k) => [k, 0])) as Record<Status, number>;
  const byPriority = Object.fromEntries(PRIORITIES.map((k) => [k, 0])) as Record<Priority, number>;
  const byOrganization: Record<string, number> = {};
  let total = 0;
  let overdueN = 0;
  for (const r of rows) {
    byStatus[r.status] += r.n;
    byPriority[r.priority] += r.n;
    byOrganization[r.org] = (byOrganization[r.org] ?? 0) + r.n;
    total += r.n;
    overdueN += r.overdue;
  }
  const unresolved = UNRESOLVED.reduce((n, k) => n + byStatus[k], 0);
  return { total, unresolved, overdue: overdueN, byStatus, byPriority, byOrganization };
}
