/**
 * Turns across API instances: two real API processes (A and B) on one PostgreSQL database and the real
 * Redis (keys under a prefix of this file's own), with the real IDP and MCP servers and a scripted model.
 * A reader that moves from A to B with Last-Event-ID misses and repeats nothing; an approval asked on A
 * is decided through B and the change is made once (another person's id is "not found" there); Stop and
 * a second message through B reach A's turn; and when A is killed (`kill -9`) in the middle of an approved
 * change, B writes its turn as interrupted within seconds — the change as "outcome unknown" — and a reader
 * on B gets the end of the stream.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_ROUTES, OUTCOME_UNKNOWN, apiPath, type ConversationDetail } from '@msi/contracts/api';
import { call, readTurnEvents, sendMessage, type SseEvent } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { pgQuery } from '../../../test/support/database.js';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';
import type { RunningService } from '../../../test/support/services.js';
import { connectRedis, createLogger } from '@msi/kit';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `msi-test-turns-across-${randomBytes(4).toString('hex')}:`;

let stack: Backend;
let model: ScriptedModel;
let a: RunningService;
let b: RunningService;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  model = await startScriptedModel();
  const env = {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_MODEL: 'scripted-1',
    EMBEDDING_PROVIDER: 'offline',
    // A change sent to a ticketing server that does not answer waits this long (the crash test).
    MCP_TIMEOUT_MS: '60000',
    REDIS_URL,
    REDIS_KEY_PREFIX: PREFIX,
  };
  stack = await startBackend({ postgres: true, apiEnv: env });
  a = stack.api;
  // B once A has ingested the documentation (both would otherwise ingest it into one database at once).
  await vi.waitFor(async () => expect((await fetch(`${a.url}/readyz`)).status).toBe(200), {
    timeout: 60_000,
    interval: 200,
  });
  b = await stack.startApi({ ...env, DATABASE_URL: stack.databaseUrls.api });
  for (const u of ['james_smith', 'alex_agent']) tokens[u] = await stack.login(u);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await model?.close();
  const redis = await connectRedis({ url: REDIS_URL, prefix: PREFIX, log: createLogger('test', 'silent') });
  const keys = await redis.client.keys(`${PREFIX}*`);
  if (keys.length) await redis.client.del(...keys);
  await redis.close();
});
beforeEach(() => model.setScript(() => ({ text: 'unused' })));

const api = (on: RunningService, user: string, method: string, path: string, body?: unknown) =>
  call(on.url, tokens[user]!, method, path, body);
const conversation = async (user: string) =>
  (await api(a, user, 'POST', API_ROUTES.conversations, {})).body.id as string;
const detail = async (on: RunningService, user: string, id: string) =>
  (await call<ConversationDetail>(on.url, tokens[user]!, 'GET', apiPath(API_ROUTES.conversation, { id })))
    .body;
const events = (
  on: RunningService,
  user: string,
  turnId: string,
  lastEventId?: string,
  onEvent?: (e: SseEvent) => 'stop' | void,
) => readTurnEvents(on.url, tokens[user]!, turnId, lastEventId, onEvent);
const turnOf = (e: SseEvent[]) => String(e.find((x) => x.event === 'turn.started')!.data.turnId);
const ticketsTitled = async (title: string) =>
  Number(
    (
      await pgQuery<{ n: string }>(
        stack.databaseUrls.ticketing!,
        'SELECT count(*) n FROM tickets WHERE title = $1',
        [title],
      )
    )[0]!.n,
  );

describe('turns across API instances (PostgreSQL + Redis)', () => {
  it('a reader moves from A to B with Last-Event-ID mid-stream: identical final text, no delta missing or repeated', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    model.setScript(() => ({ text: words.map((w) => `${w} `), chunkDelayMs: 10 }));
    const id = await conversation('alex_agent');
    let deltas = 0;
    const first = await sendMessage(a.url, tokens.alex_agent!, id, 'Say sixty words', (e) =>
      e.event === 'message.delta' && ++deltas === 5 ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    // Still streaming on A; B serves the rest.
    const rest = await events(b, 'alex_agent', turnId, first.events.at(-1)!.id);
    expect(rest.status).toBe(200);
    expect(rest.events.at(-1)!.event).toBe('done');
    const joined = [...first.events, ...rest.events];
    // The whole stream read again from the start, on each instance: the same events, ids included.
    const onB = await events(b, 'alex_agent', turnId);
    const onA = await events(a, 'alex_agent', turnId);
    expect(joined).toEqual(onB.events);
    expect(onA.events).toEqual(onB.events);
    expect(new Set(joined.map((e) => e.id)).size).toBe(joined.length);
    expect(first.text + rest.text).toBe(words.map((w) => `${w} `).join(''));
    const saved = await detail(b, 'alex_agent', id);
    expect(saved.activeTurn).toBeUndefined();
    expect(saved.messages[1]).toMatchObject({ status: 'complete', content: first.text + rest.text });
    // Another turn's id is not an event of this one; another person's turn does not exist on B either.
    const other = await sendMessage(a.url, tokens.alex_agent!, await conversation('alex_agent'), 'hi');
    expect((await events(b, 'alex_agent', turnId, other.events[0]!.id)).status).toBe(400);
    expect((await events(b, 'james_smith', turnId)).status).toBe(404);
  });

  it("an approval asked on A is decided through B: the change is made once; another person's id is not found there", async () => {
    const title = `Across instances ${Date.now()}`;
    model.setScript((_r, i) =>
      i === 0
        ? { toolCalls: [{ name: 'create_ticket', arguments: { title, description: 'The dock reboots.' } }] }
        : { text: 'Created it.' },
    );
    const id = await conversation('james_smith');
    const first = await sendMessage(a.url, tokens.james_smith!, id, 'File it', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    const approvalId = String(first.events.at(-1)!.data.approvalId);
    // A reload that lands on B shows the open approval dialog again.
    expect((await detail(b, 'james_smith', id)).activeTurn).toMatchObject({
      id: turnId,
      approval: { approvalId, tool: 'create_ticket', args: { title } },
    });
    const path = apiPath(API_ROUTES.approval, { id: approvalId });
    const notFound = await api(b, 'alex_agent', 'POST', path, { decision: 'approve' });
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ error: 'not_found' });
    // An edit that does not fit the tool's schema is refused through B as on A.
    expect(
      (await api(b, 'james_smith', 'POST', path, { decision: 'approve', args: { title: 7 } })).status,
    ).toBe(400);
    expect(await ticketsTitled(title)).toBe(0);

    const decided = await api(b, 'james_smith', 'POST', path, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ approvalId, decision: 'approved' });
    // A second decision, on either instance, finds nothing pending.
    expect((await api(b, 'james_smith', 'POST', path, { decision: 'approve' })).status).toBe(404);
    expect((await api(a, 'james_smith', 'POST', path, { decision: 'deny' })).status).toBe(404);

    const rest = await events(b, 'james_smith', turnId, first.events.at(-1)!.id);
    expect(rest.events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['approval.decided', 'tool.completed', 'done']),
    );
    expect(rest.of('tool.completed')[0]).toMatchObject({ ok: true });
    expect(await ticketsTitled(title)).toBe(1);
    const saved = await detail(b, 'james_smith', id);
    expect(saved.activeTurn).toBeUndefined();
    expect(saved.messages[1]!.toolCalls[0]).toMatchObject({ ok: true, approval: { decision: 'approved' } });
  });

  it("Stop through B stops A's turn; a second message through B while it runs is a conflict", async () => {
    model.setScript(() => ({ hang: true, text: 'Let me think' }));
    const id = await conversation('alex_agent');
    const before = model.aborted;
    let turnId = '';
    const t = await sendMessage(a.url, tokens.alex_agent!, id, 'Think hard', async (e) => {
      if (e.event === 'turn.started') turnId = String(e.data.turnId);
      if (e.event !== 'message.delta') return;
      const again = await api(b, 'alex_agent', 'POST', apiPath(API_ROUTES.messages, { id }), {
        content: 'and?',
      });
      expect(again.status).toBe(409);
      const stopped = await api(b, 'alex_agent', 'POST', apiPath(API_ROUTES.turnStop, { id: turnId }));
      expect(stopped.status).toBe(202);
    });
    expect(t.events.at(-1)!.event).toBe('cancelled');
    await vi.waitFor(() => expect(model.aborted).toBeGreaterThan(before));
    expect((await detail(b, 'alex_agent', id)).messages[1]).toMatchObject({
      status: 'cancelled',
      content: 'Let me think',
    });
    expect((await api(b, 'alex_agent', 'POST', apiPath(API_ROUTES.turnStop, { id: turnId }))).body).toEqual({
      turnId,
      status: 'cancelled',
    });
  });

  it('deleting the conversation through B stops its turn on A: nothing it waited to do is done', async () => {
    const title = `Deleted across instances ${Date.now()}`;
    model.setScript(() => ({
      toolCalls: [{ name: 'create_ticket', arguments: { title, description: 'x y z' } }],
    }));
    const id = await conversation('james_smith');
    const t = await sendMessage(a.url, tokens.james_smith!, id, 'File it', async (e) => {
      if (e.event !== 'approval.required') return;
      expect((await api(b, 'james_smith', 'DELETE', apiPath(API_ROUTES.conversation, { id }))).status).toBe(
        204,
      );
    });
    // A's stream (still open) ends: the conversation is gone, the change waiting for approval is not made.
    expect(t.events.at(-1)).toMatchObject({ event: 'error', data: { error: 'not_found' } });
    expect(await ticketsTitled(title)).toBe(0);
  });

  it('A frozen longer than its lease: B writes the turn as interrupted; A, thawed, lets go of it and saves nothing', async () => {
    model.setScript(() => ({ hang: true, text: 'Frozen mid-answer' }));
    const id = await conversation('alex_agent');
    const first = await sendMessage(a.url, tokens.alex_agent!, id, 'Think', (e) =>
      e.event === 'message.delta' ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    const aborted = model.aborted;
    a.proc.kill('SIGSTOP');
    try {
      await vi.waitFor(async () => expect((await detail(b, 'alex_agent', id)).activeTurn).toBeUndefined(), {
        timeout: 15_000,
        interval: 100,
      });
    } finally {
      a.proc.kill('SIGCONT');
    }
    // Thawed, A finds its lease gone at the next renewal and stops its model call.
    await vi.waitFor(() => expect(model.aborted).toBeGreaterThan(aborted), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(a.output()).toContain('a turn whose lease was lost stopped here'), {
      timeout: 10_000,
      interval: 50,
    });
    const saved = await detail(a, 'alex_agent', id);
    // One answer: B's, as interrupted; none from A.
    expect(saved.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(saved.messages[1]).toMatchObject({ status: 'error', error: { error: 'interrupted' } });
    const replay = await events(a, 'alex_agent', turnId);
    expect(replay.events.at(-1)).toMatchObject({ event: 'error', data: { error: 'interrupted' } });
    expect(replay.of('cancelled')).toEqual([]);
  });

  it('kill -9 A during an approved change: B writes the turn as interrupted within seconds, the change as "outcome unknown"', async () => {
    const title = `In flight at the crash ${Date.now()}`;
    const waiting = `Waiting at the crash ${Date.now()}`;
    model.setScript((req) => {
      const q = req.messages.filter((m) => m.role === 'user').at(-1)!.content!;
      const t = q.includes('second') ? waiting : title;
      return { toolCalls: [{ name: 'create_ticket', arguments: { title: t, description: 'x y z' } }] };
    });
    const id = await conversation('james_smith');
    const first = await sendMessage(a.url, tokens.james_smith!, id, 'File it', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const turnId = turnOf(first.events);
    const approvalId = String(first.events.at(-1)!.data.approvalId);
    // A second turn on A waits for a decision when A dies.
    const id2 = await conversation('james_smith');
    const second = await sendMessage(a.url, tokens.james_smith!, id2, 'File the second one', (e) =>
      e.event === 'approval.required' ? 'stop' : undefined,
    );
    const pendingId = String(second.events.at(-1)!.data.approvalId);
    const ticketing = stack.ticketing.proc;
    // The change will be sent to a ticketing server that does not answer.
    ticketing.kill('SIGSTOP');
    let reader: ReturnType<typeof events> | undefined;
    let killedAt = 0;
    try {
      expect(
        (
          await api(b, 'james_smith', 'POST', apiPath(API_ROUTES.approval, { id: approvalId }), {
            decision: 'approve',
          })
        ).status,
      ).toBe(200);
      // A reader on B follows the turn; once A has written down the decision (it does so before it
      // sends the change), A dies.
      reader = events(b, 'james_smith', turnId, first.events.at(-1)!.id);
      await vi.waitFor(
        async () => {
          const [t] = await pgQuery<{ checkpoint_json: string }>(
            stack.databaseUrls.api!,
            'SELECT checkpoint_json FROM turns WHERE id = $1',
            [turnId],
          );
          expect(t!.checkpoint_json).toContain('"decision":"approved"');
        },
        { timeout: 10_000, interval: 50 },
      );
      const exited = new Promise((r) => a.proc.once('exit', r));
      a.proc.kill('SIGKILL');
      await exited;
      killedAt = performance.now();
    } finally {
      ticketing.kill('SIGCONT');
    }
    // B notices the lease expire and writes the turn down: no fixed sleep, the condition is polled.
    await vi.waitFor(async () => expect((await detail(b, 'james_smith', id)).activeTurn).toBeUndefined(), {
      timeout: 15_000,
      interval: 100,
    });
    const tookMs = performance.now() - killedAt;
    expect(tookMs, 'interrupted within a few seconds').toBeLessThan(10_000);
    const answer = (await detail(b, 'james_smith', id)).messages[1]!;
    expect(answer).toMatchObject({ status: 'error', error: { error: 'interrupted' } });
    expect(answer.toolCalls[0]).toMatchObject({ tool: 'create_ticket', approval: { decision: 'approved' } });
    expect(answer.toolCalls[0]!.ok).toBeUndefined();
    expect(answer.toolCalls[0]!.error).toContain(OUTCOME_UNKNOWN);
    // The reader on B ended with the turn's end.
    const read = await reader!;
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { error: 'interrupted' } });
    const [row] = await pgQuery<{ status: string }>(
      stack.databaseUrls.api!,
      'SELECT status FROM turns WHERE id = $1',
      [turnId],
    );
    expect(row!.status).toBe('interrupted');
    expect((await api(b, 'james_smith', 'POST', apiPath(API_ROUTES.turnStop, { id: turnId }))).body).toEqual({
      turnId,
      status: 'interrupted',
    });
    // The approval that waited on A: not found through B (nobody waits for it), recorded as not made.
    expect(
      (
        await api(b, 'james_smith', 'POST', apiPath(API_ROUTES.approval, { id: pendingId }), {
          decision: 'approve',
        })
      ).status,
    ).toBe(404);
    await vi.waitFor(async () => expect((await detail(b, 'james_smith', id2)).activeTurn).toBeUndefined(), {
      timeout: 15_000,
      interval: 100,
    });
    expect((await detail(b, 'james_smith', id2)).messages[1]!.toolCalls[0]).toMatchObject({
      ok: false,
      approval: { decision: 'cancelled' },
    });
    expect(await ticketsTitled(waiting)).toBe(0);
    // The conversation takes a new message again, on B.
    model.setScript(() => ({ text: 'Back.' }));
    const again = await sendMessage(b.url, tokens.james_smith!, id, 'hello again');
    expect(again.events.at(-1)!.event).toBe('done');
  });
});
