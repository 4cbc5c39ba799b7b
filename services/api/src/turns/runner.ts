/**
 * Turns as jobs: `start` stores the person's message, opens the turn's event stream and runs the agent in
 * the background; whoever reads the stream (the POST that started it, or a reconnect) only reads. Stop is
 * an explicit request (`stop`), and so is deleting the conversation (`cancelConversation`). What the turn
 * does is checkpointed as it happens (tool calls, approvals, text so far), so that a turn whose process
 * died is written at the next start as `interrupted` (`recover`), with an approved change that was being
 * made recorded as "outcome unknown", never as cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, Principal } from '@msi/kit';
import { runTurn, type TurnDeps } from '../agent/loop.js';
import {
  OUTCOME_UNKNOWN,
  type Message,
  type StreamEventName,
  type StreamEvents,
  type ToolCall,
  type TurnStatus,
} from '../contract.js';
import type { ConversationStore } from '../conversations/store.js';
import type { McpSession } from '../mcp-clients.js';
import { createToolbox, type DocumentSearch } from '../tools.js';
import type { TurnEventLog } from './events.js';
import type { TurnCheckpoint, TurnRecord, TurnStore } from './store.js';

/** The answer of a turn cut off by the API stopping. */
export const INTERRUPTED_MESSAGE =
  'The API stopped while answering (it was restarted or quit), so this answer is incomplete. Retry to ask again.';

export class TurnConflictError extends Error {
  constructor() {
    super('this conversation is already answering a message; wait for it or stop it first');
  }
}

export interface TurnRunnerDeps {
  turn: TurnDeps;
  conversations: ConversationStore;
  turns: TurnStore;
  events: TurnEventLog;
  docs: DocumentSearch;
  log: Logger;
  historyMessages?: number;
  /** Text so far is checkpointed at most this often while it streams (ms). */
  checkpointEveryMs?: number;
}

interface Running {
  conversationId: string;
  ac: AbortController;
  deleted: boolean;
  done: Promise<void>;
}

export interface TurnRunner {
  /** Starts a turn in the person's conversation (checked by the caller). TurnConflictError when one runs. */
  start(principal: Principal, conversationId: string, content: string, mcp: McpSession): Promise<TurnRecord>;
  /** Stops a turn running here; false when it does not run here (ended, or never did). */
  stop(turnId: string): boolean;
  /** The conversation was deleted: its running turn stops, nothing it waits to do is done. */
  cancelConversation(conversationId: string): void;
  /** Turns running in this process. */
  readonly size: number;
  /** At start: every turn left running by a process that stopped is written as interrupted. */
  recover(): Promise<number>;
  /** Resolves when the turns running now have ended. */
  drain(): Promise<void>;
}

export function createTurnRunner(deps: TurnRunnerDeps): TurnRunner {
  const { conversations, turns, events, log } = deps;
  const running = new Map<string, Running>();
  const byConversation = new Map<string, string>();
  const checkpointEveryMs = deps.checkpointEveryMs ?? 1000;

  async function execute(
    record: TurnRecord,
    slot: Running,
    principal: Principal,
    history: { role: 'user' | 'assistant'; content: string }[],
    mcp: McpSession,
  ): Promise<void> {
    const id = record.id;
    const progress: TurnCheckpoint = { content: '', calls: [] };
    let savedAt = 0;
    const save = () => {
      savedAt = performance.now();
      turns
        .checkpoint(id, structuredClone(progress))
        .catch((err: Error) => log.warn({ err }, 'turn checkpoint failed'));
    };
    const emit = <K extends StreamEventName>(event: K, data: StreamEvents[K]) => {
      events.append(id, event, data);
      if (track(progress, event, data) || performance.now() - savedAt > checkpointEveryMs) save();
    };
    let status: Exclude<TurnStatus, 'running'> = 'error';
    let message: Message | undefined;
    try {
      message = await runTurn(deps.turn, {
        principal,
        conversationId: slot.conversationId,
        toolbox: createToolbox(mcp, deps.docs),
        history,
        signal: slot.ac.signal,
        emit,
      });
      status = message.status;
      // runTurn ends a complete turn with `done` and a failed one with `error`; a stopped one ends here.
      if (message.status === 'cancelled') emit('cancelled', { messageId: message.id });
    } catch (err) {
      if (slot.deleted) {
        status = 'cancelled';
        emit('error', { error: 'not_found', message: `conversation ${slot.conversationId} was deleted` });
      } else {
        log.error({ err }, 'turn failed');
        emit('error', { error: 'internal_error', message: 'the turn failed; see the service log' });
      }
    } finally {
      await turns
        .finish(id, status, message?.id)
        .catch((err: Error) => log.error({ err }, 'turn end not stored'));
      events.close(id);
      running.delete(id);
      byConversation.delete(slot.conversationId);
      await mcp.close().catch(() => undefined);
    }
  }

  return {
    get size() {
      return running.size;
    },
    async start(principal, conversationId, content, mcp) {
      if (byConversation.has(conversationId)) {
        await mcp.close().catch(() => undefined);
        throw new TurnConflictError();
      }
      const id = randomUUID();
      const slot: Running = {
        conversationId,
        ac: new AbortController(),
        deleted: false,
        done: Promise.resolve(),
      };
      // Taken before the first await: a second message to the same conversation is a conflict.
      byConversation.set(conversationId, id);
      running.set(id, slot);
      let record: TurnRecord;
      let history: { role: 'user' | 'assistant'; content: string }[];
      try {
        await conversations.addUserMessage(conversationId, content, principal.sub);
        record = await turns.start({ id, owner: principal.sub, conversationId });
        history = await conversations.history(conversationId, deps.historyMessages ?? 20);
        events.open(id);
        events.append(id, 'turn.started', { turnId: id, conversationId });
      } catch (err) {
        running.delete(id);
        byConversation.delete(conversationId);
        await mcp.close().catch(() => undefined);
        throw err;
      }
      slot.done = execute(record, slot, principal, history, mcp);
      return record;
    },
    stop(turnId) {
      const slot = running.get(turnId);
      if (!slot) return false;
      slot.ac.abort(new Error('stopped by the person'));
      return true;
    },
    cancelConversation(conversationId) {
      const slot = running.get(byConversation.get(conversationId) ?? '');
      if (!slot) return;
      slot.deleted = true;
      slot.ac.abort(new Error('the conversation was deleted'));
    },
    async recover() {
      const left = await turns.running();
      for (const t of left) {
        const calls = t.checkpoint.calls.map(cutOff);
        for (const c of t.checkpoint.calls)
          if (c.approval?.decision === 'pending')
            await conversations.decideApproval(c.approval.approvalId, 'cancelled');
        let messageId: string | undefined;
        try {
          const saved = await conversations.saveAssistantMessage(t.conversationId, {
            content: t.checkpoint.content,
            status: 'error',
            provider: deps.turn.provider.name,
            toolCalls: calls,
            citations: [],
            error: { error: 'interrupted', message: INTERRUPTED_MESSAGE },
          });
          messageId = saved.id;
        } catch (err) {
          log.warn({ err, turnId: t.id }, 'the answer of an interrupted turn was not stored');
        }
        await turns.finish(t.id, 'interrupted', messageId);
      }
      if (left.length)
        log.warn({ turns: left.length }, 'turns left running by the last run marked interrupted');
      return left.length;
    },
    async drain() {
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}

/** Updates the checkpoint from one event; true when it should be stored now. */
function track<K extends StreamEventName>(p: TurnCheckpoint, event: K, data: StreamEvents[K]): boolean {
  const call = (callId: string) => p.calls.find((c) => c.callId === callId);
  switch (event) {
    case 'message.delta':
      p.content += (data as StreamEvents['message.delta']).text;
      return false;
    case 'tool.started': {
      const d = data as StreamEvents['tool.started'];
      p.calls.push({ callId: d.callId, server: d.server as ToolCall['server'], tool: d.tool, args: d.args });
      return true;
    }
    case 'approval.required': {
      const d = data as StreamEvents['approval.required'];
      const c = call(d.callId);
      if (c) c.approval = { approvalId: d.approvalId, decision: 'pending' };
      p.approval = d;
      return true;
    }
    case 'approval.decided': {
      const d = data as StreamEvents['approval.decided'];
      const c = call(d.callId);
      if (c) {
        c.approval = {
          approvalId: d.approvalId,
          decision: d.decision,
          ...(d.proposed ? { proposed: d.proposed } : {}),
        };
        if (d.args) c.args = d.args;
      }
      if (p.approval?.approvalId === d.approvalId) delete p.approval;
      return true;
    }
    case 'approval.auto': {
      // Approved by a rule without asking: as approved as one the person decided.
      const d = data as StreamEvents['approval.auto'];
      const c = call(d.callId);
      if (c) c.approval = { approvalId: d.approvalId, decision: 'approved', auto: d.auto };
      return true;
    }
    case 'tool.completed': {
      const d = data as StreamEvents['tool.completed'];
      const c = call(d.callId);
      if (c) {
        c.ok = d.ok;
        c.ms = d.ms;
        if (d.ok) c.result = d.result;
        else c.error = d.error ?? 'failed';
      }
      return true;
    }
    default:
      return false;
  }
}

/** A call of a turn whose process died, as far as it is known. */
function cutOff(c: ToolCall): ToolCall {
  if (c.ok !== undefined) return c;
  if (c.approval?.decision === 'approved')
    return {
      ...c,
      error: `${OUTCOME_UNKNOWN}: the API stopped while this approved change was being made, so it may or may not have been made.`,
    };
  if (c.approval?.decision === 'pending')
    return {
      ...c,
      ok: false,
      error: 'Not made: the API stopped before you decided.',
      approval: { ...c.approval, decision: 'cancelled' },
    };
  return { ...c, ok: false, error: 'Cut off: the API stopped before this call answered.' };
}
