/**
 * Turns are jobs, over the real IDP, MCP servers, Chroma and API processes, with a scripted model: a
 * reader that hangs up and comes back with Last-Event-ID gets every event after that one exactly once,
 * closing the stream does not cancel and Stop does, a pending approval survives a reconnect, and a turn
 * whose API process was killed is written as interrupted at the next start — an approved change that was
 * being made as "outcome unknown", never as cancelled.
 */
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_ROUTES, OUTCOME_UNKNOWN, apiPath, type ConversationDetail } from '@msi/contracts/api';
import { call, readTurnEvents, sendMessage, type SseEvent } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { dbFile, openReadOnly } from '../../../test/support/data-dir.js';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';

let stack: Backend;
let model: ScriptedModel;
let tickets: Database.Database;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  model = await startScriptedModel();
  stack = await startBackend({
    apiEnv: {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_MODEL: 'scripted-1',
      EMBEDDING_PROVIDER: 'offline',
      // A change sent to a ticketing server that does not answer waits this long (the crash test).
      MCP_TIMEOUT_MS: '60000',
    },
  });
  tickets = openReadOnly(dbFile(stack.dataDir, 'ticketing'));
  for (const u of ['james_smith', 'alex_agent']) tokens[u] = await stack.login(u);
});
afterAll(async () => {
  tickets?.close();
  await stack?.stop();
  await model?.close();
});
beforeEach(() => model.setScript(() => ({ text: 'unused' })));

const api = (user: string, method: string, path: string, body?: unknown) =>
  call(stack.api.url, tokens[user]!, method, path, body);
async function conversation(user: string) {
  return (await api(user, 'POST', API_ROUTES.conversations, {})).body.id as string;
}
const detail = async (user: string, id: string) =>
  (
    await call<ConversationDetail>(
      stack.api.url,
      tokens[user]!,
      'GET',
      apiPath(API_ROUTES.conversation, { id }),
    )
  ).body;
const events = (
  user: string,
  turnId: string,
  lastEventId?: string,
  onEvent?: (e: SseEvent) => 'stop' | void,
) => readTurnEvents(stack.api.url, tokens[user]!, turnId, lastEventId, onEvent);
const stop = (user: string, turnId: string) =>
  api(user, 'POST', apiPath(API_ROUTES.turnStop, { id: turnId }));
const turnOf = (e: SseEvent[]) => String(e.find((x) => x.event === 'turn.started')!.data.turnId);

/** Waits until the turn's stream has an event `name` (read from the start), by reading it. */
async function until(user: string, turnId: string, name: string): Promise<SseEvent[]> {
  const seen = await events(user, turnId, undefined, (e) => (e.event === name ? 'stop' : undefined));
  expect(seen.events.at(-1)?.event, `the turn reached ${name}`).toBe(name);
  return seen.events;
}

describe('a turn is a job', () => {
  it('a reader that hangs up resumes with Last-Event-ID: no delta missing or repeated; the turn went on', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`);
    model.setScript(() => ({ text: words.map((w) => `${w} `), chunkDelayMs: 15 }));
    const id = await conversation('alex_agent');
    const aborted = model.aborted;
    // Hang up after five deltas.
    let deltas = 0;
    const first = await sendMessage(stack.api.url, tokens.alex_agent!, id, 'Say forty words', (e) =>
      e.event === 'message.delta' && ++deltas === 5 ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    const lastId = first.events.at(-1)!.id!;
    expect(first.events[0]).toMatchObject({ event: 'turn.started', id: '1', data: { conversationId: id } });

    // While nobody reads it, the turn runs on; the conversation says it is running.
    const running = await detail('alex_agent', id);
    expect(running.activeTurn).toMatchObject({ id: turnId, status: 'running' });

    const rest = await events('alex_agent', turnId, lastId);
    expect(rest.status).toBe(200);
    const all = [...first.events, ...rest.events];
    // Ids follow each other: nothing missing, nothing twice.
    expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(first.text + rest.text).toBe(words.map((w) => `${w} `).join(''));
    expect(rest.events.at(-1)!.event).toBe('done');
    expect(model.aborted, 'closing the stream did not cancel the model call').toBe(aborted);

    // Read again from the start: the same events; the stored answer has the same text.
    const replay = await events('alex_agent', turnId);
    expect(replay.events).toEqual(all);
    const saved = await detail('alex_agent', id);
    expect(saved.activeTurn).toBeUndefined();
    expect(saved.messages[1]).toMatchObject({ status: 'complete', content: replay.text });

    // A Last-Event-ID that is not one of the turn's is a clear 400; another person's turn does not exist.
    expect((await events('alex_agent', turnId, 'abc')).status).toBe(400);
    expect((await events('alex_agent', turnId, '100000')).status).toBe(400);
    expect((await events('james_smith', turnId)).status).toBe(404);
    expect((await stop('james_smith', turnId)).status).toBe(404);
  });

  it('Stop (an explicit request) cancels: the model call ends, the answer so far is saved as cancelled', async () => {
    model.setScript(() => ({ hang: true, text: 'Let me think' }));
    const id = await conversation('alex_agent');
    const before = model.aborted;
    let turnId = '';
    const t = await sendMessage(stack.api.url, tokens.alex_agent!, id, 'Think hard', async (e) => {
      if (e.event === 'turn.started') turnId = String(e.data.turnId);
      if (e.event === 'message.delta') expect((await stop('alex_agent', turnId)).status).toBe(202);
    });
    // The same stream tells the end.
    expect(t.events.at(-1)!.event).toBe('cancelled');
    expect(t.text).toBe('Let me think');
    // The model server sees its client go away a moment after the API says it stopped.
    await vi.waitFor(() => expect(model.aborted).toBeGreaterThan(before));
    const saved = await detail('alex_agent', id);
    expect(saved.activeTurn).toBeUndefined();
    expect(saved.messages[1]).toMatchObject({
      id: t.events.at(-1)!.data.messageId,
      status: 'cancelled',
      content: 'Let me think',
    });
    // Stopping an ended turn says how it ended.
    expect((await stop('alex_agent', turnId)).body).toEqual({ turnId, status: 'cancelled' });
  });

  it('a pending approval survives a reconnect: stored, shown again, decided, and the turn finishes', async () => {
    const title = `Reconnect ${Date.now()}`;
    model.setScript((_r, i) =>
      i === 0
        ? { toolCalls: [{ name: 'create_ticket', arguments: { title, description: 'The dock reboots.' } }] }
        : { text: 'Created it.' },
    );
    const id = await conversation('james_smith');
    const first = await sendMessage(stack.api.url, tokens.james_smith!, id, 'File it', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    const asked = first.events.at(-1)!;

    // A reload: the conversation names the running turn and the change waiting for a decision.
    const reloaded = await detail('james_smith', id);
    expect(reloaded.activeTurn).toMatchObject({
      id: turnId,
      approval: { approvalId: asked.data.approvalId, tool: 'create_ticket', args: { title } },
    });
    // With what the form needs: the tool's schema and what the dialog may offer.
    expect(reloaded.activeTurn!.approval).toMatchObject({
      schema: { type: 'object', properties: { title: {}, description: {} } },
      policy: { alwaysAsk: false, locked: [] },
    });
    expect(tickets.prepare('SELECT count(*) n FROM tickets WHERE title = ?').get(title)).toEqual({ n: 0 });

    // Reconnects from the start (as a reloaded page does) and decides there.
    const replay = await events('james_smith', turnId, undefined, (e) => {
      if (e.event === 'approval.required')
        void api('james_smith', 'POST', apiPath(API_ROUTES.approval, { id: String(e.data.approvalId) }), {
          decision: 'approve',
        });
    });
    expect(replay.events.slice(0, first.events.length)).toEqual(first.events);
    const names = replay.events.map((e) => e.event);
    expect(names.slice(first.events.length)).toEqual(
      expect.arrayContaining(['approval.decided', 'tool.completed', 'done']),
    );
    expect(replay.of('approval.decided')[0]).toMatchObject({ decision: 'approved' });
    expect(tickets.prepare('SELECT count(*) n FROM tickets WHERE title = ?').get(title)).toEqual({ n: 1 });
    const saved = await detail('james_smith', id);
    expect(saved.activeTurn).toBeUndefined();
    expect(saved.messages[1]!.toolCalls[0]).toMatchObject({ ok: true, approval: { decision: 'approved' } });
  });

  it('a killed API: at the next start its turns are interrupted; an approved (edited) change being made is "outcome unknown"', async () => {
    const sent = `Sent before the crash ${Date.now()}`;
    const waiting = `Waiting at the crash ${Date.now()}`;
    model.setScript((req) => {
      const q = req.messages.filter((m) => m.role === 'user').at(-1)!.content!;
      const title = q.includes('first') ? sent : waiting;
      return { toolCalls: [{ name: 'create_ticket', arguments: { title, description: 'x y z' } }] };
    });
    const a = await conversation('james_smith');
    const b = await conversation('james_smith');
    // Turn A: approved, and its change sent to a ticketing server that does not answer (stopped).
    const ta = await sendMessage(stack.api.url, tokens.james_smith!, a, 'the first one', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const turnA = turnOf(ta.events);
    // Turn B: its change waits for a decision.
    const tb = await sendMessage(stack.api.url, tokens.james_smith!, b, 'the second one', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const turnB = turnOf(tb.events);
    const ticketing = stack.ticketing.proc;
    ticketing.kill('SIGSTOP');
    try {
      const approvalId = String(ta.events.at(-1)!.data.approvalId);
      expect(
        (
          await api('james_smith', 'POST', apiPath(API_ROUTES.approval, { id: approvalId }), {
            decision: 'approve',
            args: { title: `${sent} (edited)`, description: 'x y z' },
          })
        ).status,
      ).toBe(200);
      // The API says it was decided just before it sends the change.
      await until('james_smith', turnA, 'approval.decided');
      await stack.restartApi({ crash: true });
    } finally {
      ticketing.kill('SIGCONT');
    }

    const afterA = await detail('james_smith', a);
    expect(afterA.activeTurn, 'no turn is left running').toBeUndefined();
    const answerA = afterA.messages[1]!;
    expect(answerA).toMatchObject({ status: 'error', error: { error: 'interrupted' } });
    const callA = answerA.toolCalls[0]!;
    // The checkpoint knew the edit: what was being made, and what the assistant had proposed.
    expect(callA).toMatchObject({
      tool: 'create_ticket',
      args: { title: `${sent} (edited)` },
      approval: { decision: 'approved', proposed: { title: sent } },
    });
    expect(callA.ok).toBeUndefined();
    expect(callA.error).toContain(OUTCOME_UNKNOWN);

    const answerB = (await detail('james_smith', b)).messages[1]!;
    expect(answerB).toMatchObject({ status: 'error', error: { error: 'interrupted' } });
    expect(answerB.toolCalls[0]).toMatchObject({ ok: false, approval: { decision: 'cancelled' } });
    expect(tickets.prepare('SELECT count(*) n FROM tickets WHERE title = ?').get(waiting)).toEqual({ n: 0 });

    // The turns themselves say so, to a reader and to Stop.
    const read = await events('james_smith', turnA, '3');
    expect(read.events).toEqual([
      { event: 'error', data: expect.objectContaining({ error: 'interrupted' }) },
    ]);
    expect((await stop('james_smith', turnB)).body).toEqual({ turnId: turnB, status: 'interrupted' });
    // The conversation takes a new message again.
    model.setScript(() => ({ text: 'Back.' }));
    const again = await sendMessage(stack.api.url, tokens.james_smith!, b, 'hello again');
    expect(again.events.at(-1)!.event).toBe('done');
  });
});
