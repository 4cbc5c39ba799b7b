/**
 * Conversations, messages, tool calls, citations and approvals in the API's SQLite file, always
 * scoped to their owner: a conversation of someone else does not exist for the caller.
 */
import { randomUUID } from 'node:crypto';
import type { Db, SqliteMigration } from '@msi/kit';
import { clip } from '../clip.js';
import type { ApiError, ConversationDetail, ConversationSummary, Message, ToolCall } from '../contract.js';

export const DEFAULT_TITLE = 'New conversation';

export const conversationMigrations: SqliteMigration[] = [
  `CREATE TABLE conversations (
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
  // Pinned conversations stay on top of the person's list.
  `ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
];

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
interface MsgRow {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: Message['status'];
  provider: Message['provider'] | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  error_json: string | null;
  created_at: string;
}
interface CallRow {
  id: string;
  message_id: string;
  server: ToolCall['server'];
  tool: string;
  args_json: string;
  ok: number | null;
  result_json: string | null;
  error: string | null;
  ms: number | null;
  approval_id: string | null;
  approval_decision: string | null;
}
interface CiteRow {
  message_id: string;
  document_id: string;
  chunk_id: string;
  title: string;
  section: string;
  snippet: string;
  score: number;
}

/** The assistant's message as the agent loop hands it over at the end of a turn. */
export type AssistantRecord = Omit<Message, 'id' | 'role' | 'createdAt'>;

export type ConversationStore = ReturnType<typeof createConversationStore>;

export function createConversationStore(db: Db) {
  const now = () => new Date().toISOString();
  const summary = (r: ConvRow): ConversationSummary => ({
    id: r.id,
    title: r.title,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    messageCount: r.message_count,
    pinned: r.pinned === 1,
    ...(r.match ? { match: matchSnippet(r.match, r.search_words ?? []) } : {}),
  });
  const SELECT_SUMMARY = `SELECT c.id, c.title, c.created_at, c.updated_at, c.pinned,
      (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
    FROM conversations c`;
  const q = {
    list: db.prepare(`${SELECT_SUMMARY} WHERE c.owner = ? ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`),
    one: db.prepare(`${SELECT_SUMMARY} WHERE c.owner = ? AND c.id = ?`),
    insert: db.prepare(
      'INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
    rename: db.prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE owner = ? AND id = ?'),
    pin: db.prepare('UPDATE conversations SET pinned = ? WHERE owner = ? AND id = ?'),
    firstUserMessage: db.prepare(
      `SELECT content FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY rowid LIMIT 1`,
    ),
    answers: db.prepare(
      `SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND role = 'assistant'`,
    ),
    setTitle: db.prepare('UPDATE conversations SET title = ? WHERE id = ? AND title = ?'),
    touch: db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?'),
    titleIfDefault: db.prepare('UPDATE conversations SET title = ? WHERE id = ? AND title = ?'),
    remove: db.prepare('DELETE FROM conversations WHERE owner = ? AND id = ?'),
    messages: db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY rowid'),
    calls: db.prepare(
      'SELECT t.* FROM tool_calls t JOIN messages m ON m.id = t.message_id WHERE m.conversation_id = ? ORDER BY t.seq',
    ),
    cites: db.prepare(
      'SELECT c.* FROM citations c JOIN messages m ON m.id = c.message_id WHERE m.conversation_id = ? ORDER BY c.seq',
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (id, conversation_id, role, content, status, provider, prompt_tokens, completion_tokens, error_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertCall: db.prepare(
      `INSERT INTO tool_calls (id, message_id, seq, server, tool, args_json, ok, result_json, error, ms, approval_id, approval_decision)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertCite: db.prepare(
      `INSERT INTO citations (message_id, seq, document_id, chunk_id, title, section, snippet, score)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    history: db.prepare(
      `SELECT role, content FROM (SELECT rowid, role, content FROM messages WHERE conversation_id = ? AND content != ''
         ORDER BY rowid DESC LIMIT ?) ORDER BY rowid`,
    ),
    insertApproval: db.prepare(
      `INSERT INTO approvals (id, owner, conversation_id, call_id, tool, args_json, summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    decideApproval: db.prepare(
      `UPDATE approvals SET decision = ?, decided_at = ? WHERE id = ? AND decision = 'pending'`,
    ),
  };

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

  const saveAssistant = db.transaction((conversationId: string, rec: AssistantRecord): Message => {
    const id = randomUUID();
    const at = now();
    q.insertMessage.run(
      id,
      conversationId,
      'assistant',
      rec.content,
      rec.status,
      rec.provider ?? null,
      rec.usage?.promptTokens ?? null,
      rec.usage?.completionTokens ?? null,
      rec.error ? JSON.stringify(rec.error) : null,
      at,
    );
    rec.toolCalls.forEach((c, i) =>
      q.insertCall.run(
        c.callId,
        id,
        i,
        c.server,
        c.tool,
        JSON.stringify(c.args),
        c.ok === undefined ? null : c.ok ? 1 : 0,
        c.result === undefined ? null : JSON.stringify(c.result),
        c.error ?? null,
        c.ms === undefined ? null : Math.round(c.ms),
        c.approval?.approvalId ?? null,
        c.approval?.decision ?? null,
      ),
    );
    rec.citations.forEach((c, i) =>
      q.insertCite.run(id, i, c.documentId, c.chunkId, c.title, c.section, c.snippet, c.score),
    );
    // The first answer that opened one ticket names a conversation the person has not renamed after it.
    const ticket =
      (q.answers.get(conversationId) as { n: number }).n === 1 ? ticketOf(rec.toolCalls) : undefined;
    const first = ticket && (q.firstUserMessage.get(conversationId) as { content: string } | undefined);
    if (ticket && first) q.setTitle.run(ticketTitle(ticket), conversationId, titleFrom(first.content));
    q.touch.run(at, conversationId);
    return { ...rec, id, role: 'assistant', createdAt: at };
  });

  return {
    /** Newest first; with `search`, those whose title or any message has every word (and where). */
    list(owner: string, search?: string, limit = 200): ConversationSummary[] {
      const rows = search
        ? searchConversations(db, SELECT_SUMMARY, owner, search, limit)
        : q.list.all(owner, limit);
      return (rows as ConvRow[]).map(summary);
    },
    pin(owner: string, id: string, pinned: boolean): ConversationSummary | undefined {
      if (q.pin.run(pinned ? 1 : 0, owner, id).changes === 0) return undefined;
      return this.summary(owner, id);
    },
    create(owner: string, title?: string): ConversationSummary {
      const id = randomUUID();
      const at = now();
      q.insert.run(id, owner, title ?? DEFAULT_TITLE, at, at);
      return {
        id,
        title: title ?? DEFAULT_TITLE,
        createdAt: at,
        updatedAt: at,
        messageCount: 0,
        pinned: false,
      };
    },
    summary(owner: string, id: string): ConversationSummary | undefined {
      const r = q.one.get(owner, id) as ConvRow | undefined;
      return r && summary(r);
    },
    get(owner: string, id: string): ConversationDetail | undefined {
      const r = q.one.get(owner, id) as ConvRow | undefined;
      if (!r) return undefined;
      const calls = q.calls.all(id) as CallRow[];
      const cites = q.cites.all(id) as CiteRow[];
      const messages = (q.messages.all(id) as MsgRow[]).map((m) =>
        toMessage(
          m,
          calls.filter((c) => c.message_id === m.id),
          cites.filter((c) => c.message_id === m.id),
        ),
      );
      return { ...summary(r), messages };
    },
    rename(owner: string, id: string, title: string): ConversationSummary | undefined {
      if (q.rename.run(title, now(), owner, id).changes === 0) return undefined;
      return this.summary(owner, id);
    },
    remove(owner: string, id: string): boolean {
      return q.remove.run(owner, id).changes > 0;
    },
    /** Stores the person's message; the first one also names a conversation that still has the default title. */
    addUserMessage(conversationId: string, content: string): Message {
      const id = randomUUID();
      const at = now();
      db.transaction(() => {
        q.insertMessage.run(id, conversationId, 'user', content, 'complete', null, null, null, null, at);
        q.titleIfDefault.run(titleFrom(content), conversationId, DEFAULT_TITLE);
        q.touch.run(at, conversationId);
      })();
      return { id, role: 'user', content, createdAt: at, status: 'complete', toolCalls: [], citations: [] };
    },
    /** The assistant's message with its tool calls and citations, in one transaction. */
    saveAssistantMessage(conversationId: string, rec: AssistantRecord): Message {
      return saveAssistant(conversationId, rec);
    },
    /** The last `limit` messages (oldest first) as the model's context; the newest is the current question. */
    history(conversationId: string, limit = 20): { role: 'user' | 'assistant'; content: string }[] {
      return q.history.all(conversationId, limit) as { role: 'user' | 'assistant'; content: string }[];
    },
    recordApproval(a: {
      approvalId: string;
      owner: string;
      conversationId: string;
      callId: string;
      tool: string;
      args: Record<string, unknown>;
      summary: string;
    }): void {
      q.insertApproval.run(
        a.approvalId,
        a.owner,
        a.conversationId,
        a.callId,
        a.tool,
        JSON.stringify(a.args),
        a.summary,
        now(),
      );
    },
    decideApproval(approvalId: string, decision: string): void {
      q.decideApproval.run(decision, now(), approvalId);
    },
  };
}

/**
 * The one search of the conversation list, in SQL kept to LIKE and EXISTS so that it reads the same on
 * any store: a conversation matches when each word of `search` is in its title or in one of its messages
 * (case-insensitive). `match` is the newest message that has the first word, for a snippet of where.
 */
function searchConversations(
  db: Db,
  selectSummary: string,
  owner: string,
  search: string,
  limit: number,
): ConvRow[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  if (!words.length) return [];
  const like = (w: string) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const each = words.map(
    () =>
      `(lower(c.title) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND lower(m.content) LIKE ? ESCAPE '\\'))`,
  );
  const sql = `SELECT s.*, (SELECT m.content FROM messages m WHERE m.conversation_id = s.id AND lower(m.content) LIKE ? ESCAPE '\\'
      ORDER BY m.rowid DESC LIMIT 1) AS match
    FROM (${selectSummary} WHERE c.owner = ? AND ${each.join(' AND ')} ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?) s`;
  const params = [like(words[0]!), owner, ...words.flatMap((w) => [like(w), like(w)]), limit];
  return (db.prepare(sql).all(...params) as ConvRow[]).map((r) => ({ ...r, search_words: words }));
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
