/**
 * Turns in the API's SQLite file (kit migrations, module "turns"): who started one, in which
 * conversation, whether it still runs, and a checkpoint of what it did so far (its tool calls, with their
 * approvals, and the pending approval), written as those happen. The checkpoint is what is known of a
 * turn whose process died: its answer is written from it at the next start (`interrupted`).
 * The methods are async so that a shared store (PostgreSQL) fits the same interface.
 */
import { applyMigrations, type Db, type SqliteMigration } from '@msi/kit';
import type { StreamEvents, ToolCall, TurnStatus } from '../contract.js';

const MIGRATIONS: SqliteMigration[] = [
  `CREATE TABLE turns (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'cancelled', 'error', 'interrupted')),
     started_at TEXT NOT NULL,
     ended_at TEXT,
     message_id TEXT,
     checkpoint_json TEXT NOT NULL DEFAULT '{"content":"","calls":[]}'
   );
   CREATE INDEX turns_conversation ON turns(conversation_id, status);
   CREATE INDEX turns_running ON turns(status) WHERE status = 'running';`,
];

/** What a turn did so far. */
export interface TurnCheckpoint {
  content: string;
  calls: ToolCall[];
  /** The change waiting for the person's decision. */
  approval?: StreamEvents['approval.required'];
}

export interface TurnRecord {
  id: string;
  owner: string;
  conversationId: string;
  status: TurnStatus;
  startedAt: string;
  endedAt?: string;
  messageId?: string;
  checkpoint: TurnCheckpoint;
}

export interface TurnStore {
  start(t: { id: string; owner: string; conversationId: string }): Promise<TurnRecord>;
  checkpoint(id: string, c: TurnCheckpoint): Promise<void>;
  /** Ends a running turn (a turn already ended keeps its status). */
  finish(id: string, status: Exclude<TurnStatus, 'running'>, messageId?: string): Promise<void>;
  /** The person's turn; undefined for another person's or an unknown id. */
  get(owner: string, id: string): Promise<TurnRecord | undefined>;
  /** The running turn of a conversation, if any. */
  active(conversationId: string): Promise<TurnRecord | undefined>;
  /** Every turn still marked running (at start: those a stopped process left). */
  running(): Promise<TurnRecord[]>;
}

interface Row {
  id: string;
  owner: string;
  conversation_id: string;
  status: TurnStatus;
  started_at: string;
  ended_at: string | null;
  message_id: string | null;
  checkpoint_json: string;
}

const toRecord = (r: Row): TurnRecord => ({
  id: r.id,
  owner: r.owner,
  conversationId: r.conversation_id,
  status: r.status,
  startedAt: r.started_at,
  ...(r.ended_at ? { endedAt: r.ended_at } : {}),
  ...(r.message_id ? { messageId: r.message_id } : {}),
  checkpoint: JSON.parse(r.checkpoint_json) as TurnCheckpoint,
});

export function createTurnStore(db: Db): TurnStore {
  applyMigrations(db, 'turns', MIGRATIONS);
  const q = {
    insert: db.prepare(
      `INSERT INTO turns (id, owner, conversation_id, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
    ),
    checkpoint: db.prepare(`UPDATE turns SET checkpoint_json = ? WHERE id = ? AND status = 'running'`),
    finish: db.prepare(
      `UPDATE turns SET status = ?, ended_at = ?, message_id = ? WHERE id = ? AND status = 'running'`,
    ),
    get: db.prepare('SELECT * FROM turns WHERE owner = ? AND id = ?'),
    active: db.prepare(
      `SELECT * FROM turns WHERE conversation_id = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`,
    ),
    running: db.prepare(`SELECT * FROM turns WHERE status = 'running' ORDER BY started_at`),
  };
  return {
    async start({ id, owner, conversationId }) {
      const at = new Date().toISOString();
      q.insert.run(id, owner, conversationId, at);
      return {
        id,
        owner,
        conversationId,
        status: 'running',
        startedAt: at,
        checkpoint: { content: '', calls: [] },
      };
    },
    async checkpoint(id, c) {
      q.checkpoint.run(JSON.stringify(c), id);
    },
    async finish(id, status, messageId) {
      q.finish.run(status, new Date().toISOString(), messageId ?? null, id);
    },
    async get(owner, id) {
      const r = q.get.get(owner, id) as Row | undefined;
      return r && toRecord(r);
    },
    async active(conversationId) {
      const r = q.active.get(conversationId) as Row | undefined;
      return r && toRecord(r);
    },
    async running() {
      return (q.running.all() as Row[]).map(toRecord);
    },
  };
}
