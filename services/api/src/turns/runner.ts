/**
 * Turns as jobs: `start` stores the person's message, opens the turn's event stream and runs the agent in
 * the background; whoever reads the stream (the POST that started it, or a reconnect) only reads. Stop is
 * an explicit request (`stop`), and so is deleting the conversation (`cancelConversation`). What the turn
 * does is checkpointed as it happens (tool calls, approvals, text so far), so that a turn whose process
 * died is written at the next start as `interrupted` (`recover`), with an approved change that was being
 * made recorded as "outcome unknown", never as cancelled.
 *
 * Several instances (`cluster`, with REDIS_URL): the instance running a turn holds its lease (lease.ts);
 * every instance sweeps for running turns whose lease expired (their instance died) and writes them as
 * interrupted the same way, ending their event streams so that readers elsewhere end too. Stop and a
 * deleted conversation reach the instance running the turn over the instance bus (bus.ts).
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
import type { InstanceBus } from './bus.js';
import type { TurnEventLog } from './events.js';
import type { TurnLeases } from './lease.js';
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
  /** Several instances share the turns (REDIS_URL); absent on the desktop. */
  cluster?: { leases: TurnLeases; bus: InstanceBus };
}

/** Requests between instances about turns (bus.ts). */
const STOP = 'turn.stop';
const CANCEL = 'turn.cancel-conversation';

interface Running {
  conversationId: string;
  ac: AbortController;
  deleted: boolean;
  /** Its lease was lost (cluster): another instance writes it down; this one only lets go. */
  lost: boolean;
  done: Promise<void>;
}

class LeaseLostError extends Error {
  constructor() {
    super('the turn lease was lost; another instance writes this turn down');
  }
}

export interface TurnRunner {
  /** Starts a turn in the person's conversation (checked by the caller). TurnConflictError when one runs. */
  start(principal: Principal, conversationId: string, content: string, mcp: McpSession): Promise<TurnRecord>;
  /**
   * Stops a running turn, here or on the instance running it; false when none runs it (ended, or never
   * did).
   */
  stop(turnId: string): Promise<boolean>;
  /** The conversation was deleted: its running turn (on any instance) stops, nothing it waits to do is done. */
  cancelConversation(conversationId: string): Promise<void>;
  /** Turns running in this process. */
  readonly size: number;
  /**
   * Every turn left running by a process that stopped is written as interrupted: at start on the desktop
   * (all of them), and with `cluster` those whose lease expired (`watch` looks every few seconds).
   */
  recover(): Promise<number>;
  /** With `cluster`: recovers every `everyMs` until the returned function is called. */
  watch(everyMs?: number): () => void;
  /** With `cluster`: this instance lost the turn's lease (lease.ts `onLost`); it stops here. */
  leaseLost(turnId: string): void;
  /** Resolves when the turns running now have ended. */
  drain(): Promise<void>;
}

export function createTurnRunner(deps: TurnRunnerDeps): TurnRunner {
  const { conversations, turns, events, log } = deps;
  const running = new Map<string, Running>();
  const byConversation = new Map<string, string>();
  const checkpointEveryMs = deps.checkpointEveryMs ?? 1000;
  const cluster = deps.cluster;

  function stopHere(turnId: string): boolean {
    const slot = running.get(turnId);
    if (!slot) return false;
    slot.ac.abort(new Error('stopped by the person'));
    return true;
  }
  function cancelHere(conversationId: string): boolean {
    const slot = running.get(byConversation.get(conversationId) ?? '');
    if (!slot) return false;
    slot.deleted = true;
    slot.ac.abort(new Error('the conversation was deleted'));
    return true;
  }
  /** The instance running `turnId`, when it is another one (not this, not one writing it as interrupted). */
  async function elsewhere(turnId: string): Promise<string | undefined> {
    const holder = await cluster?.leases.holder(turnId);
    return holder && holder !== cluster!.bus.instanceId && !holder.startsWith('recovering:')
      ? holder
      : undefined;
  }
  if (cluster) {
    cluster.bus.handle(STOP, (b) => Promise.resolve(stopHere((b as { turnId: string }).turnId)));
    cluster.bus.handle(CANCEL, (b) =>
      Promise.resolve(cancelHere((b as { conversationId: string }).conversationId)),
    );
  }

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
    // One write after the other: on a pool (PostgreSQL) an older snapshot must not land after a newer one.
    let written = Promise.resolve();
    const save = () => {
      savedAt = performance.now();
      const snapshot = structuredClone(progress);
      written = written
        .then(() => turns.checkpoint(id, snapshot))
        .catch((err: Error) => log.warn({ err }, 'turn checkpoint failed'));
      return written;
    };
    // A checkpoint that matters (a call, an approval) is returned: the loop awaits it before it sends an
    // approved change, so a process that dies while the change is made is known to have approved it.
    const emit = <K extends StreamEventName>(event: K, data: StreamEvents[K]): Promise<void> | void => {
      if (slot.lost) return;
      events.append(id, event, data);
      if (track(progress, event, data)) return save();
      if (performance.now() - savedAt > checkpointEveryMs) void save();
    };
    let status: Exclude<TurnStatus, 'running'> = 'error';
    let message: Message | undefined;
    // A turn whose lease was lost saves no answer of its own: the instance that took it writes it down.
    const store: ConversationStore = Object.create(deps.turn.store) as ConversationStore;
    store.saveAssistantMessage = (...args) =>
      slot.lost ? Promise.reject(new LeaseLostError()) : deps.turn.store.saveAssistantMessage(...args);
    try {
      message = await runTurn(
        { ...deps.turn, store },
        {
          principal,
          conversationId: slot.conversationId,
          toolbox: createToolbox(mcp, deps.docs),
          history,
          signal: slot.ac.signal,
          emit,
        },
      );
      status = message.status;
      // runTurn ends a complete turn with `done` and a failed one with `error`; a stopped one ends here.
      if (message.status === 'cancelled') emit('cancelled', { messageId: message.id });
    } catch (err) {
      if (slot.lost) {
        log.warn({ turnId: id }, 'a turn whose lease was lost stopped here');
      } else if (slot.deleted) {
        status = 'cancelled';
        emit('error', { error: 'not_found', message: `conversation ${slot.conversationId} was deleted` });
      } else {
        log.error({ err }, 'turn failed');
        emit('error', { error: 'internal_error', message: 'the turn failed; see the service log' });
      }
    } finally {
      if (!slot.lost) {
        await turns
          .finish(id, status, message?.id)
          .catch((err: Error) => log.error({ err }, 'turn end not stored'));
        events.close(id);
      }
      running.delete(id);
      byConversation.delete(slot.conversationId);
      await cluster?.leases
        .release(id, slot.conversationId)
        .catch((err: Error) => log.warn({ err: err.message }, 'turn lease not released'));
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
        lost: false,
        done: Promise.resolve(),
      };
      // Taken before the first await: a second message to the same conversation is a conflict.
      byConversation.set(conversationId, id);
      running.set(id, slot);
      let record: TurnRecord;
      let history: { role: 'user' | 'assistant'; content: string }[];
      let leased = false;
      try {
        // The lease before the row: no other instance may see this turn running without one.
        if (cluster) {
          if (!(await cluster.leases.acquire(id, conversationId))) throw new TurnConflictError();
          leased = true;
        }
        await conversations.addUserMessage(conversationId, content, principal.sub);
        record = await turns.start({ id, owner: principal.sub, conversationId });
        history = await conversations.history(conversationId, deps.historyMessages ?? 20);
        events.open(id);
        events.append(id, 'turn.started', { turnId: id, conversationId });
      } catch (err) {
        running.delete(id);
        byConversation.delete(conversationId);
        if (leased) await cluster!.leases.release(id, conversationId).catch(() => undefined);
        await mcp.close().catch(() => undefined);
        throw err;
      }
      slot.done = execute(record, slot, principal, history, mcp);
      return record;
    },
    async stop(turnId) {
      if (stopHere(turnId)) return true;
      const there = await elsewhere(turnId);
      return there ? (await cluster!.bus.call<boolean>(there, STOP, { turnId })) === true : false;
    },
    async cancelConversation(conversationId) {
      if (cancelHere(conversationId) || !cluster) return;
      const turnId = await cluster.leases.turnOf(conversationId);
      const there = turnId && (await elsewhere(turnId));
      if (there) await cluster.bus.call(there, CANCEL, { conversationId });
    },
    async recover() {
      // Alone (the desktop), every turn still marked running was left by the last run; with others,
      // only those whose instance stopped renewing their lease, each claimed by exactly one instance
      // (the sweep reads ids only: it runs every second on every instance).
      let left: (TurnRecord | { id: string; owner: string })[];
      if (cluster) {
        const all = (await turns.runningIds()).filter((t) => !running.has(t.id));
        const claimed = new Set(await cluster.leases.claimOrphans(all.map((t) => t.id)));
        left = all.filter((t) => claimed.has(t.id));
      } else left = await turns.running();
      const recovered: string[] = [];
      for (const found of left) {
        // Claimed after its instance let go: it may have ended just before (ended, then released).
        const t = 'checkpoint' in found ? found : await turns.get(found.owner, found.id);
        if (!t || t.status !== 'running') continue;
        recovered.push(t.id);
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
        // Its readers (on any instance) end as a reader of the stored turn would.
        await events
          .end(t.id, 'error', { error: 'interrupted', message: INTERRUPTED_MESSAGE })
          .catch((err: Error) =>
            log.warn({ err: err.message, turnId: t.id }, 'interrupted stream not ended'),
          );
      }
      if (recovered.length)
        log.warn(
          { turns: recovered.length, ids: recovered },
          cluster
            ? 'turns of an instance that stopped marked interrupted'
            : 'turns left running by the last run marked interrupted',
        );
      return recovered.length;
    },
    watch(everyMs = 1000) {
      if (!cluster) return () => undefined;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        this.recover()
          .catch((err: Error) => log.warn({ err: err.message }, 'looking for interrupted turns failed'))
          .finally(() => (busy = false));
      }, everyMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    leaseLost(turnId) {
      const slot = running.get(turnId);
      if (!slot) return;
      slot.lost = true;
      slot.ac.abort(new LeaseLostError());
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
