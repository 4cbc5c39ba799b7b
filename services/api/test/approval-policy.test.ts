/**
 * Approvals as a form and the approval policy, over the real stack (the `openai` provider against the
 * scripted model, so the proposed change is exact): edited arguments are what runs (checked again), "allow
 * for this conversation" for comments and status changes only, an administrator's "always ask" wins, and
 * every automatic approval is in the record with its rule. On both backends: the stack's API keeps its
 * SQLite file; with PostgreSQL a second API process (startApi) keeps its conversations, approvals and
 * policy in a fresh database.
 */
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalPolicy, ConversationDetail } from '@msi/contracts/api';
import { call, sendMessage, type SseEvent } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import {
  backends,
  freshDatabase,
  pgQuery,
  type Backend as DbBackend,
  type FreshDatabase,
} from '../../../test/support/database.js';
import { dbFile, openReadOnly } from '../../../test/support/data-dir.js';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';

let stack: Backend;
let model: ScriptedModel;
let tickets: Database.Database;
let api: Database.Database;
/** The API process the running describe block talks to (SQLite- or PostgreSQL-backed). */
let apiUrl: string;
let db: DbBackend = 'sqlite';
let pg: FreshDatabase | undefined;
const tokens: Record<string, string> = {};
let ticket: string;

const apiEnv = () => ({
  OPENAI_API_KEY: 'sk-test',
  OPENAI_BASE_URL: model.baseUrl,
  OPENAI_MODEL: 'scripted-1',
  EMBEDDING_PROVIDER: 'offline',
  APPROVAL_TIMEOUT_MS: '20000',
});

beforeAll(async () => {
  model = await startScriptedModel();
  stack = await startBackend({ apiEnv: apiEnv() });
  tickets = openReadOnly(dbFile(stack.dataDir, 'ticketing'));
  api = openReadOnly(dbFile(stack.dataDir, 'api'));
  ticket = (
    tickets
      .prepare(
        "SELECT 'TCK-' || id AS n FROM tickets WHERE org = 'dallas-police' AND status = 'open' ORDER BY id LIMIT 1",
      )
      .get() as { n: string }
  ).n;
  for (const u of ['alex_agent', 'admin']) tokens[u] = await stack.login(u);
}, 120_000);
afterAll(async () => {
  tickets?.close();
  api?.close();
  await stack?.stop();
  await pg?.drop();
  await model?.close();
});

/** One approval row as the API stored it, read from the running block's database. */
async function storedApproval(id: string, columns: string[]): Promise<Record<string, unknown>> {
  const text = `SELECT ${columns.join(', ')} FROM approvals WHERE id = `;
  if (db === 'postgres') return (await pgQuery(pg!.url, `${text}$1`, [id]))[0]!;
  return api.prepare(`${text}?`).get(id) as Record<string, unknown>;
}

/** The model proposes one call, then says "Done." once the tool's result is back. */
function propose(name: string, args: Record<string, unknown>) {
  model.setScript((req) =>
    req.messages.at(-1)?.role === 'tool' ? { text: 'Done.' } : { toolCalls: [{ name, arguments: args }] },
  );
}
async function conversation(user = 'alex_agent') {
  return (await call<{ id: string }>(apiUrl, tokens[user]!, 'POST', '/api/conversations', {})).body.id;
}
const decide = (user: string, id: unknown, body: Record<string, unknown>) =>
  call<{ error?: string; message?: string; rule?: string }>(
    apiUrl,
    tokens[user]!,
    'POST',
    `/api/approvals/${String(id)}`,
    body,
  );
const detail = async (user: string, id: string) =>
  (await call<ConversationDetail>(apiUrl, tokens[user]!, 'GET', `/api/conversations/${id}`)).body;

/** One turn; `onApproval` answers the approval (its return value is recorded). */
async function turn(
  user: string,
  conv: string,
  onApproval?: (e: SseEvent) => Promise<unknown>,
): Promise<{ events: SseEvent[]; answers: unknown[] }> {
  const answers: unknown[] = [];
  const r = await sendMessage(apiUrl, tokens[user]!, conv, 'do it', async (e) => {
    if (e.event === 'approval.required' && onApproval) answers.push(await onApproval(e));
  });
  return { events: r.events, answers };
}
const lastCall = async (user: string, conv: string) =>
  (await detail(user, conv)).messages.at(-1)!.toolCalls.at(-1)!;

describe.each(backends())('conversations and the approval policy on %s', (backend) => {
  beforeAll(async () => {
    db = backend;
    if (backend === 'sqlite') {
      apiUrl = stack.api.url;
      return;
    }
    pg = await freshDatabase('api_approval_policy');
    apiUrl = (await stack.startApi({ ...apiEnv(), DATABASE_URL: pg.url })).url;
  }, 60_000);

  describe('approvals as a form', () => {
    it('runs the edited arguments, keeps the proposal in the record, and offers the form its schema', async () => {
      propose('create_ticket', {
        org: 'dallas-police',
        title: 'Dock bay 3 dead',
        description: 'Bay 3 does not charge.',
        priority: 'low',
      });
      const conv = await conversation();
      const { events } = await turn('alex_agent', conv, async (e) => {
        expect(e.data.schema).toMatchObject({ type: 'object', properties: { title: {}, priority: {} } });
        expect(e.data.policy).toEqual({ alwaysAsk: false, locked: [] });
        return decide('alex_agent', e.data.approvalId, {
          decision: 'approve',
          args: {
            org: 'dallas-police',
            title: 'DS-8 bay 3 not charging',
            description: 'Bay 3 does not charge since Monday.',
            priority: 'urgent',
            category: '',
          },
        });
      });
      const done = events.find((e) => e.event === 'tool.completed')!.data;
      expect(done.ok).toBe(true);
      const created = (done.result as { ticket: { number: string } }).ticket.number;
      const row = tickets
        .prepare("SELECT title, description, priority FROM tickets WHERE 'TCK-' || id = ?")
        .get(created) as Record<string, string>;
      expect(row).toEqual({
        title: 'DS-8 bay 3 not charging',
        description: 'Bay 3 does not charge since Monday.',
        priority: 'urgent',
      });
      const c = await lastCall('alex_agent', conv);
      expect(c.args).toMatchObject({ title: 'DS-8 bay 3 not charging', priority: 'urgent' });
      expect(c.args).not.toHaveProperty('category');
      expect(c.approval).toMatchObject({
        decision: 'approved',
        proposed: { title: 'Dock bay 3 dead', priority: 'low' },
      });
      const stored = (await storedApproval(c.approval!.approvalId, [
        'args_json',
        'sent_args_json',
        'decision',
      ])) as { args_json: string; sent_args_json: string; decision: string };
      expect(JSON.parse(stored.args_json)).toMatchObject({ title: 'Dock bay 3 dead' });
      expect(JSON.parse(stored.sent_args_json)).toMatchObject({ title: 'DS-8 bay 3 not charging' });
      expect(stored.decision).toBe('approved');
    });

    it('refuses edits that do not fit the schema or change what is targeted; the approval stays pending', async () => {
      propose('update_ticket', { number: ticket, priority: 'high' });
      const conv = await conversation();
      const replies: { status: number; body: { message?: string } }[] = [];
      await turn('alex_agent', conv, async (e) => {
        const id = e.data.approvalId;
        expect(e.data.policy).toMatchObject({ locked: ['number'] });
        replies.push(
          await decide('alex_agent', id, {
            decision: 'approve',
            args: { number: ticket, priority: 'extreme' },
          }),
        );
        replies.push(
          await decide('alex_agent', id, {
            decision: 'approve',
            args: { number: ticket === 'TCK-1001' ? 'TCK-1002' : 'TCK-1001', priority: 'low' },
          }),
        );
        replies.push(await decide('alex_agent', id, { decision: 'deny', args: { number: ticket } }));
        replies.push(
          await decide('alex_agent', id, {
            decision: 'approve',
            args: { number: ticket, priority: 'normal' },
          }),
        );
      });
      expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 200]);
      expect(replies[0]!.body.message).toMatch(/do not fit update_ticket.*priority/);
      expect(replies[1]!.body.message).toMatch(/number names what is changed/);
      expect(replies[2]!.body.message).toMatch(/approve/);
      const row = tickets.prepare("SELECT priority FROM tickets WHERE 'TCK-' || id = ?").get(ticket) as {
        priority: string;
      };
      expect(row.priority).toBe('normal');
    });
  });

  describe('allow for this conversation', () => {
    it('comments: once allowed, the next comment in the conversation runs without asking, with its rule recorded', async () => {
      propose('add_comment', {
        number: ticket,
        body: 'First look: checking the dock firmware.',
        internal: true,
      });
      const conv = await conversation();
      const first = await turn('alex_agent', conv, async (e) => {
        expect(e.data.policy).toMatchObject({
          alwaysAsk: false,
          remember: { rule: 'conversation:add_comment', label: 'Comments in this conversation' },
        });
        return decide('alex_agent', e.data.approvalId, { decision: 'approve', remember: true });
      });
      expect(first.answers[0]).toMatchObject({ status: 200, body: { rule: 'conversation:add_comment' } });

      propose('add_comment', { number: ticket, body: 'Second note: firmware is current.', internal: true });
      const second = await turn('alex_agent', conv, async () => {
        throw new Error('asked again');
      });
      expect(second.events.some((e) => e.event === 'approval.required')).toBe(false);
      const auto = second.events.find((e) => e.event === 'approval.auto')!.data;
      expect(auto).toMatchObject({ tool: 'add_comment', auto: { rule: 'conversation:add_comment' } });
      expect(String((auto.auto as { label: string }).label)).toMatch(
        /^Comments allowed for this conversation by Alex Rivera at /,
      );
      expect(second.events.find((e) => e.event === 'tool.completed')!.data.ok).toBe(true);
      const c = await lastCall('alex_agent', conv);
      expect(c.approval).toMatchObject({
        decision: 'approved',
        auto: { rule: 'conversation:add_comment', grantedBy: expect.any(String) },
      });
      const stored = await storedApproval(c.approval!.approvalId, ['decision', 'rule']);
      expect(stored).toEqual({ decision: 'approved', rule: 'conversation:add_comment' });
      const bodies = tickets
        .prepare('SELECT body FROM comments WHERE ticket_id = ? ORDER BY id DESC LIMIT 2')
        .all(Number(ticket.slice(4))) as { body: string }[];
      expect(bodies.map((b) => b.body)).toEqual([
        'Second note: firmware is current.',
        'First look: checking the dock firmware.',
      ]);

      // Another conversation asks again.
      const other = await conversation();
      const asked = await turn('alex_agent', other, (e) =>
        decide('alex_agent', e.data.approvalId, { decision: 'deny' }),
      );
      expect(asked.events.some((e) => e.event === 'approval.required')).toBe(true);
    });

    it('status changes only: a priority or assignee change is never offered, and remember is refused for it', async () => {
      propose('update_ticket', { number: ticket, status: 'in_progress' });
      const conv = await conversation();
      const status = await turn('alex_agent', conv, async (e) => {
        expect(e.data.policy).toMatchObject({ remember: { rule: 'conversation:update_ticket.status' } });
        return decide('alex_agent', e.data.approvalId, { decision: 'deny' });
      });
      expect(status.answers).toHaveLength(1);

      propose('update_ticket', { number: ticket, status: 'open', priority: 'urgent' });
      const mixed = await turn('alex_agent', conv, async (e) => {
        expect((e.data.policy as { remember?: unknown }).remember).toBeUndefined();
        const refused = await decide('alex_agent', e.data.approvalId, {
          decision: 'approve',
          remember: true,
        });
        await decide('alex_agent', e.data.approvalId, { decision: 'deny' });
        return refused;
      });
      expect(mixed.answers[0]).toMatchObject({
        status: 400,
        body: { message: expect.stringMatching(/only comments and status changes/) },
      });
    });

    it('never for permission changes (set_member_permissions)', async () => {
      propose('set_member_permissions', {
        organization: 'dallas-police',
        username: 'james_smith',
        permissions: ['view_records'],
        reason: 'test',
      });
      const conv = await conversation('admin');
      const r = await turn('admin', conv, async (e) => {
        expect(e.data.policy).toMatchObject({ alwaysAsk: false, locked: ['organization', 'username'] });
        expect((e.data.policy as { remember?: unknown }).remember).toBeUndefined();
        const refused = await decide('admin', e.data.approvalId, { decision: 'approve', remember: true });
        await decide('admin', e.data.approvalId, { decision: 'deny' });
        return refused;
      });
      expect(r.answers[0]).toMatchObject({ status: 400 });
      const policy = (await call<ApprovalPolicy>(apiUrl, tokens.admin!, 'GET', '/api/approval-policy')).body;
      expect(policy.rememberable.map((x) => x.tool)).toEqual(['add_comment', 'update_ticket']);
    });
  });

  describe('an administrator’s "always ask"', () => {
    it('wins over an allowance already given; only admins may set it, to tools that exist', async () => {
      propose('add_comment', { number: ticket, body: 'Allowed once.', internal: true });
      const conv = await conversation();
      await turn('alex_agent', conv, (e) =>
        decide('alex_agent', e.data.approvalId, { decision: 'approve', remember: true }),
      );

      const agentPut = await call(apiUrl, tokens.alex_agent!, 'PUT', '/api/approval-policy', {
        alwaysAsk: [],
      });
      expect(agentPut.status).toBe(404);
      const unknown = await call<{ message: string }>(apiUrl, tokens.admin!, 'PUT', '/api/approval-policy', {
        alwaysAsk: ['drop_everything'],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toMatch(/drop_everything.*add_comment/);
      const put = await call<ApprovalPolicy>(apiUrl, tokens.admin!, 'PUT', '/api/approval-policy', {
        alwaysAsk: ['add_comment'],
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ alwaysAsk: ['add_comment'], updatedBy: 'admin' });

      propose('add_comment', { number: ticket, body: 'Should ask.', internal: true });
      const again = await turn('alex_agent', conv, async (e) => {
        expect(e.data.policy).toMatchObject({ alwaysAsk: true });
        expect((e.data.policy as { remember?: unknown }).remember).toBeUndefined();
        const refused = await decide('alex_agent', e.data.approvalId, {
          decision: 'approve',
          remember: true,
        });
        await decide('alex_agent', e.data.approvalId, { decision: 'approve' });
        return refused;
      });
      expect(again.events.some((e) => e.event === 'approval.auto')).toBe(false);
      expect(again.answers[0]).toMatchObject({
        status: 400,
        body: { message: expect.stringMatching(/always ask/) },
      });

      await call(apiUrl, tokens.admin!, 'PUT', '/api/approval-policy', { alwaysAsk: [] });
      propose('add_comment', { number: ticket, body: 'Allowed again.', internal: true });
      const after = await turn('alex_agent', conv);
      expect(after.events.some((e) => e.event === 'approval.auto')).toBe(true);
    });
  });
});
