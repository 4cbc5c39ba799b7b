/**
 * Conversations, messages, tool calls, citations and approvals in the API's SQLite file, always
 * scoped to their owner: a conversation of someone else does not exist for the caller.
 */
import { randomUUID } from 'node:crypto';
import type { Db, SqliteMigration } from '@msi/kit';
import { approvalPolicyMigration } from '../agent/approval-policy.js';
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
  // The approval policy: allowances per conversation, the admin's "always ask", and what the record keeps.
  approvalPolicyMigration,
];

interface ConvRow {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  message_count: number;
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
  approval_json: string | null;
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
  });
  const SELECT_SUMMARY = `SELECT c.id, c.title, c.created_at, c.updated_at,
      (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
    FROM conversations c`;
  const q = {
    list: db.prepare(`${SELECT_SUMMARY} WHERE c.owner = ? ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`),
    search: db.prepare(
      `${SELECT_SUMMARY} WHERE c.owner = ? AND c.title LIKE ? ESCAPE '\\' ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
    ),
    one: db.prepare(`${SELECT_SUMMARY} WHERE c.owner = ? AND c.id = ?`),
    insert: db.prepare(
      'INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
    rename: db.prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE owner = ? AND id = ?'),
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
      `INSERT INTO tool_calls (id, message_id, seq, server, tool, args_json, ok, result_json, error, ms, approval_id, approval_decision, approval_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      `INSERT INTO approvals (id, owner, conversation_id, call_id, tool, args_json, summary, created_at, decision, decided_at, rule)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    decideApproval: db.prepare(
      `UPDATE approvals SET decision = ?, decided_at = ?, sent_args_json = ?, rule = ? WHERE id = ? AND decision = 'pending'`,
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
        c.approval?.auto || c.approval?.proposed
          ? JSON.stringify({
              ...(c.approval.auto ? { auto: c.approval.auto } : {}),
              ...(c.approval.proposed ? { proposed: c.approval.proposed } : {}),
            })
          : null,
      ),
    );
    rec.citations.forEach((c, i) =>
      q.insertCite.run(id, i, c.documentId, c.chunkId, c.title, c.section, c.snippet, c.score),
    );
    q.touch.run(at, conversationId);
    return { ...rec, id, role: 'assistant', createdAt: at };
  });

  return {
    list(owner: string, search?: string, limit = 200): ConversationSummary[] {
      const rows = search
        ? q.search.all(owner, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, limit)
        : q.list.all(owner, limit);
      return (rows as ConvRow[]).map(summary);
    },
    create(owner: string, title?: string): ConversationSummary {
      const id = randomUUID();
      const at = now();
      q.insert.run(id, owner, title ?? DEFAULT_TITLE, at, at);
      return { id, title: title ?? DEFAULT_TITLE, createdAt: at, updatedAt: at, messageCount: 0 };
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
      /** Approved without asking, by this rule (the record says so). */
      rule?: string;
    }): void {
      const at = now();
      q.insertApproval.run(
        a.approvalId,
        a.owner,
        a.conversationId,
        a.callId,
        a.tool,
        JSON.stringify(a.args),
        a.summary,
        at,
        a.rule ? 'approved' : 'pending',
        a.rule ? at : null,
        a.rule ?? null,
      );
    },
    /** The decision; `sentArgs` when the person edited the arguments, `rule` when they allowed the kind. */
    decideApproval(
      approvalId: string,
      decision: string,
      extra: { sentArgs?: Record<string, unknown>; rule?: string } = {},
    ): void {
      q.decideApproval.run(
        decision,
        now(),
        extra.sentArgs ? JSON.stringify(extra.sentArgs) : null,
        extra.rule ?? null,
        approvalId,
      );
    },
  };
}

function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${clip(line, 57).trimEnd()}…` : line || DEFAULT_TITLE;
}
