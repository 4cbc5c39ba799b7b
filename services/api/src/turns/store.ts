/**
 * Turns in the API's database (kit migrations, module "turns", both dialects): who started one, in which
 * conversation, whether it still runs, and a checkpoint of what it did so far (its tool calls, with their
 * approvals, and the pending approval), written as those happen. The checkpoint is what is known of a
 * turn whose process died: its answer is written from it at the next start (`interrupted`).
 */
import type { Migration, Store } from '@msi/kit';
import type { StreamEvents, ToolCall, TurnStatus } from '../contract.js';

const STATUS_CHECK = "CHECK (status IN ('running', 'complete', 'cancelled', 'error', 'interrupted'))";

/** The same SQL on both dialects. */
const TURNS_TABLE = `CREATE TABLE turns (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     status TEXT NOT NULL ${STATUS_CHECK},
     started_at TEXT NOT NULL,
     ended_at TEXT,
     message_id TEXT,
     checkpoint_json TEXT NOT NULL DEFAULT '{"content":"","calls":[]}'
   );
   CREATE INDEX turns_conversation ON turns(conversation_id, status);
   CREATE INDEX turns_running ON turns(status) WHERE status = 'running';`;

export const turnMigrations: Migration[] = [{ sqlite: TURNS_TABLE, postgres: TURNS_TABLE }];

export interface TurnTables {
  turns: {
    id: string;
    owner: string;
    conversation_id: string;
    status: TurnStatus;
    started_at: string;
    ended_at: string | null;
    message_id: string | null;
    checkpoint_json: string;
  };
}

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
  /** Who owns each turn still marked running, without their checkpoints (the sweep of several instances). */
  runningIds(): Promise<{ id: string; owner: string }[]>;
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

export function createTurnStore(store: Store<TurnTables>): TurnStore {
  const db = store.db;
  const one = (r: Row | undefined) => r && toRecord(r);
  return {
    async start({ id, owner, conversationId }) {
      const at = new Date().toISOString();
      await db
        .insertInto('turns')
        .values({
          id,
          owner,
          conversation_id: conversationId,
          status: 'running',
          started_at: at,
          checkpoint_json: JSON.stringify({ content: '', calls: [] }),
        })
        .execute();
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
      await db
        .updateTable('turns')
        .set({ checkpoint_json: JSON.stringify(c) })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute();
    },
    async finish(id, status, messageId) {
      await db
        .updateTable('turns')
        .set({ status, ended_at: new Date().toISOString(), message_id: messageId ?? null })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute();
    },
    async get(owner, id) {
      return one(
        await db
          .selectFrom('turns')
          .selectAll()
          .where('owner', '=', owner)
          .where('id', '=', id)
          .executeTakeFirst(),
      );
    },
    async active(conversationId) {
      return one(
        await db
          .selectFrom('turns')
          .selectAll()
          .where('conversation_id', '=', conversationId)
          .where('status', '=', 'running')
          .orderBy('started_at', 'desc')
          .limit(1)
          .executeTakeFirst(),
      );
    },
    async running() {
      return (
        await db
          .selectFrom('turns')
          .selectAll()
          .where('status', '=', 'running')
          .orderBy('started_at')
          .execute()
      ).map(toRecord);
    },
    async runningIds() {
      return db
        .selectFrom('turns')
        .select(['id', 'owner'])
        .where('status', '=', 'running')
        .orderBy('started_at')
        .execute();
    },
  };
}
