/**
 * Conversations, messages, tool calls, citations and approvals in the API's database (the SQLite file in
 * the data dir, or PostgreSQL `msi_api` with DATABASE_URL; kit `openStore`, module "main"), always scoped
 * to their owner: a conversation of someone else does not exist for the caller. Every write of several
 * rows is one transaction. Each query is its own small function over the Kysely handle, so a change to
 * one (search inside messages, turns) stays in one place.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Generated, type Kysely } from 'kysely';
import type { Dialect, Migration, Store } from '@msi/kit';
import { approvalPolicyMigration, type ApprovalPolicyTables } from '../agent/approval-policy.js';
import { clip } from '../clip.js';
import type { ApiError, ConversationDetail, ConversationSummary, Message, ToolCall } from '../contract.js';

export const DEFAULT_TITLE = 'New conversation';

/**
 * Entry i is schema version i + 1 of module "main" on both backends. SQLite keeps the SQL existing data
 * dirs were made with; PostgreSQL has the same tables, a `rowid` (bigserial) where SQLite's implicit
 * rowid orders rows, and TIMESTAMPTZ for the times (read back as the same ISO strings).
 */
export const conversationMigrations: Migration[] = [
  {
    sqlite: `CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     title TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX conversations_owner ON conversations(owner, updated_at);
   CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
     content TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('complete', 'cancelled', 'error')),
     provider TEXT,
     prompt_tokens INTEGER,
     completion_tokens INTEGER,
     error_json TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX messages_conversation ON messages(conversation_id);
   CREATE TABLE tool_calls (
     id TEXT PRIMARY KEY,
     message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     args_json TEXT NOT NULL,
     ok INTEGER,
     result_json TEXT,
     error TEXT,
     ms INTEGER,
     approval_id TEXT,
     approval_decision TEXT
   );
   CREATE INDEX tool_calls_message ON tool_calls(message_id);
   CREATE TABLE citations (
     message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     document_id TEXT NOT NULL,
     chunk_id TEXT NOT NULL,
     title TEXT NOT NULL,
     section TEXT NOT NULL,
     snippet TEXT NOT NULL,
     score REAL NOT NULL,
     PRIMARY KEY (message_id, seq)
   );
   CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     call_id TEXT NOT NULL,
     tool TEXT NOT NULL,
     args_json TEXT NOT NULL,
     summary TEXT NOT NULL,
     decision TEXT NOT NULL DEFAULT 'pending',
     created_at TEXT NOT NULL,
     decided_at TEXT
   );`,
    postgres: `CREATE TABLE conversations (
     rowid BIGSERIAL NOT NULL UNIQUE,
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     title TEXT NOT NULL,
     created_at TIMESTAMPTZ NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL
   );
   CREATE INDEX conversations_owner ON conversations (owner, updated_at);
   CREATE TABLE messages (
     rowid BIGSERIAL NOT NULL UNIQUE,
     id TEXT PRIMARY KEY,
     conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
     role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
     content TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('complete', 'cancelled', 'error')),
     provider TEXT,
     prompt_tokens INTEGER,
     completion_tokens INTEGER,
     error_json TEXT,
     created_at TIMESTAMPTZ NOT NULL
   );
   CREATE INDEX messages_conversation ON messages (conversation_id, rowid);
   CREATE TABLE tool_calls (
     id TEXT PRIMARY KEY,
     message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     args_json TEXT NOT NULL,
     ok INTEGER,
     result_json TEXT,
     error TEXT,
     ms INTEGER,
     approval_id TEXT,
     approval_decision TEXT
   );
   CREATE INDEX tool_calls_message ON tool_calls (message_id);
   CREATE TABLE citations (
     message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     document_id TEXT NOT NULL,
     chunk_id TEXT NOT NULL,
     title TEXT NOT NULL,
     section TEXT NOT NULL,
     snippet TEXT NOT NULL,
     score DOUBLE PRECISION NOT NULL,
     PRIMARY KEY (message_id, seq)
   );
   CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
     call_id TEXT NOT NULL,
     tool TEXT NOT NULL,
     args_json TEXT NOT NULL,
     summary TEXT NOT NULL,
     decision TEXT NOT NULL DEFAULT 'pending',
     created_at TIMESTAMPTZ NOT NULL,
     decided_at TIMESTAMPTZ
   );
   CREATE INDEX approvals_conversation ON approvals (conversation_id);`,
  },
  // Pinned conversations stay on top of the person's list.
  {
    sqlite: `ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
    postgres: `ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
  },
  // The approval policy: allowances per conversation, the admin's "always ask", and what the record keeps.
  approvalPolicyMigration,
];

/** The tables as Kysely sees them (`rowid`: SQLite's implicit one, PostgreSQL's bigserial). */
export interface ConversationTables extends ApprovalPolicyTables {
  conversations: {
    rowid: Generated<number>;
    id: string;
    owner: string;
    title: string;
    created_at: string;
    updated_at: string;
    pinned: Generated<number>;
  };
  messages: {
    rowid: Generated<number>;
    id: string;
    conversation_id: string;
    role: 'user' | 'assistant';
    content: string;
    status: Message['status'];
    provider: Message['provider'] | null;
    prompt_tokens: number | null;
    completion_tokens: number | null;
    error_json: string | null;
    created_at: string;
  };
  tool_calls: {
    id: string;
    message_id: string;
    seq: number;
    server: ToolCall['server'];
    tool: string;
    args_json: string;
    ok: number | null;
    result_json: string | null;
    error: string | null;
    ms: number | null;
    approval_id: string | null;
    approval_decision: string | null;
    /** `{auto?, proposed?}`: the rule that approved it without asking, the proposal before an edit. */
    approval_json: string | null;
  };
  citations: {
    message_id: string;
    seq: number;
    document_id: string;
    chunk_id: string;
    title: string;
    section: string;
    snippet: string;
    score: number;
  };
  approvals: {
    id: string;
    owner: string;
    conversation_id: string;
    call_id: string;
    tool: string;
    args_json: string;
    summary: string;
    decision: Generated<string>;
    created_at: string;
    decided_at: string | null;
    /** The rule that approved it without asking, or the one the person stored with "allow for this conversation". */
    rule: string | null;
    /** The arguments that ran when the person edited the proposal (`args_json` keeps the proposal). */
    sent_args_json: string | null;
  };
}

type Db = Kysely<ConversationTables>;

interface ConvRow {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  pinned: number;
  message_count: number;
  match?: string | null;
  search_words?: string[];
}
type MsgRow = Omit<ConversationTables['messages'], 'rowid' | 'conversation_id'>;
type CallRow = ConversationTables['tool_calls'];
type CiteRow = Omit<ConversationTables['citations'], 'seq'>;

/** The assistant's message as the agent loop hands it over at the end of a turn. */
export type AssistantRecord = Omit<Message, 'id' | 'role' | 'createdAt'>;

export type ConversationStore = ReturnType<typeof createConversationStore>;

// ---------------------------------------------------------------------------------------------------
// Queries, one function each

/** A conversation's summary columns with its message count. */
function summaries(db: Db) {
  return db.selectFrom('conversations as c').select((eb) => [
    'c.id',
    'c.title',
    'c.created_at',
    'c.updated_at',
    'c.pinned',
    eb
      .selectFrom('messages as m')
      .whereRef('m.conversation_id', '=', 'c.id')
      .select((e) => e.fn.countAll<number>().as('n'))
      .as('message_count'),
  ]);
}

/** The owner's conversations, most recently active first. */
function listConversations(db: Db, owner: string, limit: number): Promise<ConvRow[]> {
  return summaries(db)
    .where('c.owner', '=', owner)
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.rowid', 'desc')
    .limit(limit)
    .execute() as Promise<ConvRow[]>;
}

/**
 * The one search of the conversation list: a conversation matches when each word of `search` is in its
 * title or in one of its messages (case-insensitive for ASCII on both backends: SQLite's LIKE,
 * PostgreSQL's ILIKE; `%`, `_` and `\` match themselves). `match` is the newest message that has the first
 * word, for a snippet of where.
 */
async function searchConversations(
  db: Db,
  dialect: Dialect,
  owner: string,
  search: string,
  limit: number,
): Promise<ConvRow[]> {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  if (!words.length) return [];
  const like = dialect === 'postgres' ? sql`ILIKE` : sql`LIKE`;
  const pattern = (w: string) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  let q = summaries(db)
    .select((eb) =>
      eb
        .selectFrom('messages as mm')
        .select('mm.content')
        .whereRef('mm.conversation_id', '=', 'c.id')
        .where(sql<boolean>`mm.content ${like} ${pattern(words[0]!)} ESCAPE '\\'`)
        .orderBy('mm.rowid', 'desc')
        .limit(1)
        .as('match'),
    )
    .where('c.owner', '=', owner);
  for (const w of words) {
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`c.title ${like} ${pattern(w)} ESCAPE '\\'`,
        eb.exists(
          eb
            .selectFrom('messages as m2')
            .select(sql`1`.as('one'))
            .whereRef('m2.conversation_id', '=', 'c.id')
            .where(sql<boolean>`m2.content ${like} ${pattern(w)} ESCAPE '\\'`),
        ),
      ]),
    );
  }
  const rows = (await q
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.rowid', 'desc')
    .limit(limit)
    .execute()) as ConvRow[];
  return rows.map((r) => ({ ...r, search_words: words }));
}

function oneConversation(db: Db, owner: string, id: string): Promise<ConvRow | undefined> {
  return summaries(db).where('c.owner', '=', owner).where('c.id', '=', id).executeTakeFirst() as Promise<
    ConvRow | undefined
  >;
}

function messagesOf(db: Db, conversationId: string): Promise<MsgRow[]> {
  return db
    .selectFrom('messages')
    .select([
      'id',
      'role',
      'content',
      'status',
      'provider',
      'prompt_tokens',
      'completion_tokens',
      'error_json',
      'created_at',
    ])
    .where('conversation_id', '=', conversationId)
    .orderBy('rowid')
    .execute();
}

function toolCallsOf(db: Db, conversationId: string): Promise<CallRow[]> {
  return db
    .selectFrom('tool_calls as t')
    .innerJoin('messages as m', 'm.id', 't.message_id')
    .selectAll('t')
    .where('m.conversation_id', '=', conversationId)
    .orderBy('t.seq')
    .execute();
}

function citationsOf(db: Db, conversationId: string): Promise<CiteRow[]> {
  return db
    .selectFrom('citations as c')
    .innerJoin('messages as m', 'm.id', 'c.message_id')
    .select(['c.message_id', 'c.document_id', 'c.chunk_id', 'c.title', 'c.section', 'c.snippet', 'c.score'])
    .where('m.conversation_id', '=', conversationId)
    .orderBy('c.seq')
    .execute();
}

/** The last `limit` messages with text, oldest first. */
async function recentMessages(
  db: Db,
  conversationId: string,
  limit: number,
): Promise<{ role: 'user' | 'assistant'; content: string }[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['role', 'content'])
    .where('conversation_id', '=', conversationId)
    .where('content', '!=', '')
    .orderBy('rowid', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

async function insertMessage(
  db: Db,
  m: Omit<ConversationTables['messages'], 'rowid'>,
  touch: boolean,
): Promise<void> {
  await db.insertInto('messages').values(m).execute();
  if (touch) {
    await db
      .updateTable('conversations')
      .set({ updated_at: m.created_at })
      .where('id', '=', m.conversation_id)
      .execute();
  }
}

// ---------------------------------------------------------------------------------------------------

export function createConversationStore(store: Store<ConversationTables>) {
  const { db, dialect } = store;
  const now = () => new Date().toISOString();
  const summary = (r: ConvRow): ConversationSummary => ({
    id: r.id,
    title: r.title,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    messageCount: Number(r.message_count),
    pinned: Number(r.pinned) === 1,
    ...(r.match ? { match: matchSnippet(r.match, r.search_words ?? []) } : {}),
  });

  const toMessage = (r: MsgRow, calls: CallRow[], cites: CiteRow[]): Message => ({
    id: r.id,
    role: r.role,
    content: r.content,
    createdAt: r.created_at,
    status: r.status,
    ...(r.provider ? { provider: r.provider } : {}),
    toolCalls: calls.map((c) => ({
      callId: c.id,
      server: c.server,
      tool: c.tool,
      args: JSON.parse(c.args_json) as Record<string, unknown>,
      ...(c.ok === null ? {} : { ok: c.ok === 1 }),
      ...(c.result_json === null ? {} : { result: JSON.parse(c.result_json) as unknown }),
      ...(c.error === null ? {} : { error: c.error }),
      ...(c.ms === null ? {} : { ms: c.ms }),
      ...(c.approval_id
        ? {
            approval: {
              approvalId: c.approval_id,
              decision: (c.approval_decision ?? 'pending') as NonNullable<ToolCall['approval']>['decision'],
              // How it was settled beyond the decision: by a rule (auto), or with edited arguments.
              ...(c.approval_json
                ? (JSON.parse(c.approval_json) as Pick<
                    NonNullable<ToolCall['approval']>,
                    'auto' | 'proposed'
                  >)
                : {}),
            },
          }
        : {}),
    })),
    citations: cites.map((c) => ({
      documentId: c.document_id,
      chunkId: c.chunk_id,
      title: c.title,
      section: c.section,
      snippet: c.snippet,
      score: c.score,
    })),
    ...(r.prompt_tokens !== null
      ? { usage: { promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens ?? 0 } }
      : {}),
    ...(r.error_json ? { error: JSON.parse(r.error_json) as ApiError } : {}),
  });

  return {
    async list(owner: string, search?: string, limit = 200): Promise<ConversationSummary[]> {
      // A search may be a moment stale (the read replica with DATABASE_READ_URL, except right after the
      // owner's own change of a conversation); the plain list, which the sidebar reloads after every
      // message, stays on the primary.
      const rows = search
        ? await searchConversations(store.reader(owner), dialect, owner, search, limit)
        : await listConversations(db, owner, limit);
      return rows.map(summary);
    },
    async create(owner: string, title?: string): Promise<ConversationSummary> {
      const id = randomUUID();
      const at = now();
      const t = title ?? DEFAULT_TITLE;
      await db
        .insertInto('conversations')
        .values({ id, owner, title: t, created_at: at, updated_at: at })
        .execute();
      store.wrote(owner);
      return { id, title: t, createdAt: at, updatedAt: at, messageCount: 0, pinned: false };
    },
    async pin(owner: string, id: string, pinned: boolean): Promise<ConversationSummary | undefined> {
      const r = await db
        .updateTable('conversations')
        .set({ pinned: pinned ? 1 : 0 })
        .where('owner', '=', owner)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      store.wrote(owner);
      return this.summary(owner, id);
    },
    async summary(owner: string, id: string): Promise<ConversationSummary | undefined> {
      const r = await oneConversation(db, owner, id);
      return r && summary(r);
    },
    async get(owner: string, id: string): Promise<ConversationDetail | undefined> {
      // Messages first, then their calls and citations: a message is committed with its calls and
      // citations in one transaction, so every message read here has all of them (no snapshot needed).
      const r = await oneConversation(db, owner, id);
      if (!r) return undefined;
      const rows = await messagesOf(db, id);
      const [calls, cites] = await Promise.all([toolCallsOf(db, id), citationsOf(db, id)]);
      const messages = rows.map((m) =>
        toMessage(
          m,
          calls.filter((c) => c.message_id === m.id),
          cites.filter((c) => c.message_id === m.id),
        ),
      );
      return { ...summary(r), messages };
    },
    async rename(owner: string, id: string, title: string): Promise<ConversationSummary | undefined> {
      const r = await db
        .updateTable('conversations')
        .set({ title, updated_at: now() })
        .where('owner', '=', owner)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      store.wrote(owner);
      return this.summary(owner, id);
    },
    async remove(owner: string, id: string): Promise<boolean> {
      const r = await db
        .deleteFrom('conversations')
        .where('owner', '=', owner)
        .where('id', '=', id)
        .executeTakeFirst();
      store.wrote(owner);
      return Number(r.numDeletedRows) > 0;
    },
    /**
     * Stores the person's message; the first one also names a conversation that still has the default
     * title. `owner`: whose searches must find it at once (read-your-own-writes).
     */
    async addUserMessage(conversationId: string, content: string, owner?: string): Promise<Message> {
      const id = randomUUID();
      const at = now();
      await store.transaction(async (trx) => {
        await insertMessage(
          trx,
          {
            id,
            conversation_id: conversationId,
            role: 'user',
            content,
            status: 'complete',
            provider: null,
            prompt_tokens: null,
            completion_tokens: null,
            error_json: null,
            created_at: at,
          },
          true,
        );
        await trx
          .updateTable('conversations')
          .set({ title: titleFrom(content) })
          .where('id', '=', conversationId)
          .where('title', '=', DEFAULT_TITLE)
          .execute();
      }, owner);
      return { id, role: 'user', content, createdAt: at, status: 'complete', toolCalls: [], citations: [] };
    },
    /** The assistant's message with its tool calls and citations, in one transaction. */
    async saveAssistantMessage(conversationId: string, rec: AssistantRecord): Promise<Message> {
      const id = randomUUID();
      const at = now();
      await store.transaction(async (trx) => {
        await insertMessage(
          trx,
          {
            id,
            conversation_id: conversationId,
            role: 'assistant',
            content: rec.content,
            status: rec.status,
            provider: rec.provider ?? null,
            prompt_tokens: rec.usage?.promptTokens ?? null,
            completion_tokens: rec.usage?.completionTokens ?? null,
            error_json: rec.error ? JSON.stringify(rec.error) : null,
            created_at: at,
          },
          false,
        );
        if (rec.toolCalls.length) {
          await trx
            .insertInto('tool_calls')
            .values(
              rec.toolCalls.map((c, i) => ({
                id: c.callId,
                message_id: id,
                seq: i,
                server: c.server,
                tool: c.tool,
                args_json: JSON.stringify(c.args),
                ok: c.ok === undefined ? null : c.ok ? 1 : 0,
                result_json: c.result === undefined ? null : JSON.stringify(c.result),
                error: c.error ?? null,
                ms: c.ms === undefined ? null : Math.round(c.ms),
                approval_id: c.approval?.approvalId ?? null,
                approval_decision: c.approval?.decision ?? null,
                approval_json:
                  c.approval?.auto || c.approval?.proposed
                    ? JSON.stringify({
                        ...(c.approval.auto ? { auto: c.approval.auto } : {}),
                        ...(c.approval.proposed ? { proposed: c.approval.proposed } : {}),
                      })
                    : null,
              })),
            )
            .execute();
        }
        if (rec.citations.length) {
          await trx
            .insertInto('citations')
            .values(
              rec.citations.map((c, i) => ({
                message_id: id,
                seq: i,
                document_id: c.documentId,
                chunk_id: c.chunkId,
                title: c.title,
                section: c.section,
                snippet: c.snippet,
                score: c.score,
              })),
            )
            .execute();
        }
        // The first answer that opened one ticket names a conversation the person has not renamed after it.
        const ticket = ticketOf(rec.toolCalls);
        if (ticket) {
          const answers = await trx
            .selectFrom('messages')
            .select((e) => e.fn.countAll<number>().as('n'))
            .where('conversation_id', '=', conversationId)
            .where('role', '=', 'assistant')
            .executeTakeFirstOrThrow();
          const first = await trx
            .selectFrom('messages')
            .select('content')
            .where('conversation_id', '=', conversationId)
            .where('role', '=', 'user')
            .orderBy('rowid')
            .limit(1)
            .executeTakeFirst();
          if (Number(answers.n) === 1 && first) {
            await trx
              .updateTable('conversations')
              .set({ title: ticketTitle(ticket) })
              .where('id', '=', conversationId)
              .where('title', '=', titleFrom(first.content))
              .execute();
          }
        }
        await trx
          .updateTable('conversations')
          .set({ updated_at: at })
          .where('id', '=', conversationId)
          .execute();
      });
      return { ...rec, id, role: 'assistant', createdAt: at };
    },
    /** The last `limit` messages (oldest first) as the model's context; the newest is the current question. */
    history(conversationId: string, limit = 20): Promise<{ role: 'user' | 'assistant'; content: string }[]> {
      return recentMessages(db, conversationId, limit);
    },
    async recordApproval(a: {
      approvalId: string;
      owner: string;
      conversationId: string;
      callId: string;
      tool: string;
      args: Record<string, unknown>;
      summary: string;
      /** Approved without asking, by this rule (the record says so). */
      rule?: string;
    }): Promise<void> {
      const at = now();
      await db
        .insertInto('approvals')
        .values({
          id: a.approvalId,
          owner: a.owner,
          conversation_id: a.conversationId,
          call_id: a.callId,
          tool: a.tool,
          args_json: JSON.stringify(a.args),
          summary: a.summary,
          created_at: at,
          decision: a.rule ? 'approved' : 'pending',
          decided_at: a.rule ? at : null,
          rule: a.rule ?? null,
        })
        .execute();
    },
    /** The decision; `sentArgs` when the person edited the arguments, `rule` when they allowed the kind. */
    async decideApproval(
      approvalId: string,
      decision: string,
      extra: { sentArgs?: Record<string, unknown>; rule?: string } = {},
    ): Promise<void> {
      await db
        .updateTable('approvals')
        .set({
          decision,
          decided_at: now(),
          sent_args_json: extra.sentArgs ? JSON.stringify(extra.sentArgs) : null,
          rule: extra.rule ?? null,
        })
        .where('id', '=', approvalId)
        .where('decision', '=', 'pending')
        .execute();
    },
  };
}

/** About 120 characters of `text` around the first of `words` it contains, on one line. */
export function matchSnippet(text: string, words: string[]): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const lower = line.toLowerCase();
  const at = Math.max(0, Math.min(...words.map((w) => lower.indexOf(w)).filter((i) => i >= 0)));
  const start = Math.max(0, at - 40);
  const cut = clip(line.slice(start), 120);
  return `${start > 0 ? '…' : ''}${cut}${start + cut.length < line.length ? '…' : ''}`;
}

interface TicketRef {
  number: string;
  title: string;
}

/** The one ticket an answer's tool calls were about (get, create, change or a one-ticket search), if any. */
export function ticketOf(calls: ToolCall[]): TicketRef | undefined {
  const found = new Map<string, TicketRef>();
  for (const c of calls) {
    if (c.server !== 'ticketing' || !c.ok || !c.result || typeof c.result !== 'object') continue;
    const r = c.result as { ticket?: Partial<TicketRef>; tickets?: Partial<TicketRef>[] };
    const list = r.ticket ? [r.ticket] : r.tickets?.length === 1 ? r.tickets : [];
    for (const t of list)
      if (typeof t.number === 'string' && typeof t.title === 'string')
        found.set(t.number, { number: t.number, title: t.title });
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}

/** "TCK-1301 · DS-8 dock not charging" */
export function ticketTitle(t: TicketRef): string {
  const full = `${t.number} · ${t.title.replace(/\s+/g, ' ').trim()}`;
  return full.length > 80 ? `${clip(full, 77).trimEnd()}…` : full;
}

function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${clip(line, 57).trimEnd()}…` : line || DEFAULT_TITLE;
}
