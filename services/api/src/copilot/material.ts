/**
 * What a copilot action works from, gathered with the person's own rights: the ticket (get_ticket through
 * their MCP session), documentation passages for it (the knowledge base's hybrid search), and resolved
 * tickets like it (hybrid search over tickets: the ticketing server's ranked full-text search, fused by
 * reciprocal rank with a semantic leg that compares embeddings of the ticket and of the resolved tickets the
 * person may see).
 */
import type { Citation, SimilarTicket } from '../contract.js';
import type { Embedder } from '../knowledge/embedder.js';
import { reciprocalRankFusion } from '../knowledge/fusion.js';
import { queryTerms } from '../knowledge/text.js';
import type { McpSession } from '../mcp-clients.js';
import type { DocumentSearch } from '../tools.js';

export interface TicketComment {
  id: number;
  author: string;
  body: string;
  internal: boolean;
  createdAt: string;
}
export interface TicketEvent {
  at: string;
  actor: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
export interface TicketFull {
  number: string;
  organization: string;
  organizationName: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  category: string;
  product: string;
  reporter: string;
  assignee: string | null;
  createdAt: string;
  updatedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
  resolution: string | null;
  resolvedAt: string | null;
}
export interface TicketDetail {
  ticket: TicketFull;
  comments: TicketComment[];
  history: TicketEvent[];
}

export interface Passage extends Citation {
  text: string;
}

/** A tool call that did not succeed: `notFound` when the server said the ticket does not exist (for them). */
export class MaterialError extends Error {
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super(message);
    this.name = 'MaterialError';
  }
}

/** The ticket with comments (internal ones only when the server shows them to this person) and history. */
export async function loadTicket(mcp: McpSession, number: string): Promise<TicketDetail> {
  const r = await mcp.call('ticketing', 'get_ticket', { number });
  if (!r.ok) throw new MaterialError(r.error ?? 'get_ticket failed', /not found/i.test(r.error ?? ''));
  return r.result as TicketDetail;
}

/** The question a ticket asks of the documentation: its title and the start of its description. */
export function ticketQuery(t: TicketFull): string {
  return `${t.title}. ${t.description}`.slice(0, 480);
}

/** Documentation passages for the ticket, best first, with their full text. */
export async function passagesFor(
  docs: DocumentSearch,
  t: TicketFull,
  k = 4,
): Promise<{ passages: Passage[]; note?: string }> {
  const { citations, note } = await docs.searchWithNote(ticketQuery(t), k);
  const passages = await Promise.all(
    citations.map(async (c) => ({ ...c, text: (await docs.passage(c.chunkId))?.text ?? c.snippet })),
  );
  return { passages, ...(note ? { note } : {}) };
}

interface Summary {
  number: string;
  title: string;
  organization: string;
  organizationName: string;
  status: string;
  product: string;
  category: string;
}

const RESOLVED = ['resolved', 'closed'];
/** How many recent resolved tickets the semantic leg compares (the person's own view of them). */
const SEMANTIC_POOL = 100;
const LEXICAL_POOL = 25;

/** The words of a ticket the full-text search looks for: its title's content words (at most 8). */
export function lexicalQuery(t: { title: string }): string {
  return queryTerms(t.title).slice(0, 8).join(' ');
}

const cosine = (a: number[], b: number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
};

/**
 * Resolved tickets like `t` that the person may see, best first, each with its resolution. The lexical leg
 * is the ticketing server's ranked search (title words, resolved or closed); the semantic leg ranks the
 * lexical hits and the most recently updated resolved tickets by embedding similarity (title, product and
 * category). Both fused by reciprocal rank; the ticket itself is left out.
 */
export async function similarTickets(
  mcp: McpSession,
  embedder: Embedder | undefined,
  t: TicketFull,
  k = 5,
): Promise<{ tickets: SimilarTicket[]; note?: string }> {
  const search = async (args: Record<string, unknown>): Promise<Summary[]> => {
    const r = await mcp.call('ticketing', 'search_tickets', { status: RESOLVED, ...args });
    if (!r.ok) throw new MaterialError(r.error ?? 'search_tickets failed', false);
    return ((r.result as { tickets?: Summary[] }).tickets ?? []).filter((x) => x.number !== t.number);
  };
  const text = lexicalQuery(t);
  const [lexical, recent] = await Promise.all([
    text ? search({ text, limit: LEXICAL_POOL, sort: 'relevance' }) : Promise.resolve([]),
    embedder ? search({ limit: SEMANTIC_POOL, sort: 'updated' }) : Promise.resolve([]),
  ]);
  const byNumber = new Map<string, Summary>();
  for (const s of [...lexical, ...recent]) byNumber.set(s.number, s);

  let semantic: string[] = [];
  let note: string | undefined;
  if (embedder && byNumber.size) {
    const pool = [...byNumber.values()];
    const describe = (s: { title: string; product: string; category: string }) =>
      `${s.title}. ${s.product.replace(/_/g, ' ')} ${s.category.replace(/_/g, ' ')}`;
    try {
      const [self, ...vectors] = await embedder.embed([
        `${describe(t)}. ${t.description.slice(0, 400)}`,
        ...pool.map(describe),
      ]);
      semantic = pool
        .map((s, i) => ({ number: s.number, sim: cosine(self!, vectors[i]!) }))
        .filter((x) => x.sim > 0.15)
        .sort((a, b) => b.sim - a.sim)
        .slice(0, LEXICAL_POOL)
        .map((x) => x.number);
    } catch (err) {
      note = `Similar tickets come from full-text search only: the embedding of the tickets failed (${(err as Error).message}).`;
    }
  } else if (!embedder) {
    note = 'Similar tickets come from full-text search only.';
  }
  const lexicalIds = lexical.map((s) => s.number);
  const fused = reciprocalRankFusion([lexicalIds, semantic]).slice(0, k);
  const details = await Promise.all(fused.map((f) => loadTicket(mcp, f.id).catch(() => undefined)));
  const tickets: SimilarTicket[] = [];
  fused.forEach((f, i) => {
    const d = details[i]?.ticket;
    const s = byNumber.get(f.id);
    if (!d && !s) return;
    tickets.push({
      number: f.id,
      title: d?.title ?? s!.title,
      organization: d?.organization ?? s!.organization,
      organizationName: d?.organizationName ?? s!.organizationName,
      status: d?.status ?? s!.status,
      product: d?.product ?? s!.product,
      resolution: d?.resolution ?? null,
      resolvedAt: d?.resolvedAt ?? null,
      score: Math.round(f.score * 10_000) / 10_000,
      matchedBy: [
        ...(lexicalIds.includes(f.id) ? ['lexical' as const] : []),
        ...(semantic.includes(f.id) ? ['semantic' as const] : []),
      ],
    });
  });
  return { tickets, ...(note ? { note } : {}) };
}
