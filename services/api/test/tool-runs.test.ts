/**
 * POST /api/tools/:server/:name over the real stack (IDP, both MCP servers, Chroma, API as processes):
 * a person runs one tool themselves, with their own rights; the call is recorded in the conversation;
 * what they cannot see is "not found", what the tool refuses them a tool_error; bad input a clear 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationDetail, ToolRunResult } from '@msi/contracts/api';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';

let stack: Backend;
const tokens: Record<string, string> = {};
const USERS = ['james_smith', 'alex_agent', 'sam_supervisor'] as const;
type User = (typeof USERS)[number];

beforeAll(async () => {
  stack = await startBackend();
  for (const u of USERS) tokens[u] = await stack.login(u);
});
afterAll(async () => {
  await stack?.stop();
});

const api = <T = Record<string, unknown>>(user: User, method: string, path: string, body?: unknown) =>
  call<T>(stack.api.url, tokens[user]!, method, path, body);
const run = <T = ToolRunResult>(user: User, server: string, tool: string, body: unknown) =>
  api<T>(user, 'POST', `/api/tools/${server}/${tool}`, body);

interface Ticket {
  number: string;
  organization: string;
  status: string;
  assignee: string | null;
  reporter: string;
}
const tickets = async (user: User, args: Record<string, unknown>): Promise<Ticket[]> => {
  const r = await run(user, 'ticketing', 'search_tickets', { arguments: { limit: 50, ...args } });
  expect(r.status).toBe(200);
  return (r.body.call.result as { tickets: Ticket[] }).tickets;
};
const ticket = async (user: User, number: string) => {
  const r = await run(user, 'ticketing', 'get_ticket', { arguments: { number } });
  expect(r.status).toBe(200);
  return r.body.call.result as {
    ticket: Ticket;
    comments: { body: string; internal: boolean }[];
    history: { action: string; actor: string }[];
  };
};

describe('POST /api/tools/:server/:name', () => {
  it('a supervisor assigns a ticket from the panel: done with their rights, recorded in the conversation', async () => {
    const conv = await api<{ id: string }>('sam_supervisor', 'POST', '/api/conversations', {});
    const [open] = await tickets('sam_supervisor', { org: 'dallas-police', status: 'open' });
    expect(open).toBeDefined();
    const r = await run('sam_supervisor', 'ticketing', 'update_ticket', {
      conversationId: conv.body.id,
      arguments: { number: open!.number, assignee: 'alex_agent' },
    });
    expect(r.status).toBe(200);
    expect(r.body.call).toMatchObject({ server: 'ticketing', tool: 'update_ticket', ok: true });
    expect(r.body.call.approval).toBeUndefined();
    expect((r.body.call.result as { ticket: Ticket }).ticket.assignee).toBe('alex_agent');

    // The ticketing server itself has the change, with the supervisor as the actor.
    const after = await ticket('sam_supervisor', open!.number);
    expect(after.ticket.assignee).toBe('alex_agent');
    expect(after.history.at(-1)).toMatchObject({ actor: 'sam_supervisor' });

    // The conversation shows it as a tool call of an answer.
    const detail = await api<ConversationDetail>(
      'sam_supervisor',
      'GET',
      `/api/conversations/${conv.body.id}`,
    );
    expect(detail.body.messages).toHaveLength(1);
    const [m] = detail.body.messages;
    expect(m).toMatchObject({ role: 'assistant', status: 'complete', id: r.body.message!.id });
    expect(m!.content).toContain(open!.number);
    expect(m!.toolCalls).toEqual([expect.objectContaining({ tool: 'update_ticket', ok: true })]);
  });

  it('a customer cannot assign, not even their own ticket: a tool_error, and nothing changes', async () => {
    const [own] = await tickets('james_smith', { reporter: 'me' });
    expect(own).toBeDefined();
    const r = await run<{ error: string; message: string }>('james_smith', 'ticketing', 'update_ticket', {
      arguments: { number: own!.number, assignee: 'alex_agent' },
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('tool_error');
    expect(r.body.message).toMatch(/customers cannot change/);
    expect((await ticket('sam_supervisor', own!.number)).ticket.assignee).toBe(own!.assignee);
  });

  it('a ticket of another organization is not found, for reads and for changes', async () => {
    const [other] = await tickets('sam_supervisor', { org: 'la-city' });
    expect(other).toBeDefined();
    for (const [tool, args] of [
      ['get_ticket', { number: other!.number }],
      ['add_comment', { number: other!.number, body: 'hello' }],
    ] as const) {
      const r = await run<{ error: string; message: string }>('james_smith', 'ticketing', tool, {
        arguments: args,
      });
      expect(r.status, tool).toBe(404);
      expect(r.body).toEqual({ error: 'not_found', message: `ticket ${other!.number} not found` });
    }
    // And one that does not exist at all reads the same.
    const none = await run<{ error: string; message: string }>('alex_agent', 'ticketing', 'get_ticket', {
      arguments: { number: 'TCK-999999' },
    });
    expect(none.status).toBe(404);
    expect(none.body.error).toBe('not_found');
  });

  it('internal comments by an agent never reach the customer', async () => {
    const [own] = await tickets('james_smith', { reporter: 'me' });
    const note = `internal note ${Date.now()}`;
    const r = await run('alex_agent', 'ticketing', 'add_comment', {
      arguments: { number: own!.number, body: note, internal: true },
    });
    expect(r.status).toBe(200);
    expect((await ticket('alex_agent', own!.number)).comments.map((c) => c.body)).toContain(note);
    expect((await ticket('james_smith', own!.number)).comments.map((c) => c.body)).not.toContain(note);
  });

  it('unknown tools, tools of another server and tools the person lacks are not found', async () => {
    for (const [user, server, tool] of [
      ['alex_agent', 'ticketing', 'drop_tables'],
      ['alex_agent', 'organizations', 'get_ticket'],
      ['alex_agent', 'nowhere', 'get_ticket'],
      ['james_smith', 'organizations', 'set_member_permissions'],
    ] as const) {
      const r = await run<{ error: string; message: string }>(user, server, tool, { arguments: {} });
      expect(r.status, `${user} ${server}/${tool}`).toBe(404);
      expect(r.body).toEqual({ error: 'not_found', message: `there is no tool ${server}/${tool} for you` });
    }
  });

  it('arguments are checked against the tool schema before anything runs', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /arguments is required/],
      [{ arguments: [] }, /arguments must be an object/],
      [{ arguments: {}, extra: 1 }, /Unrecognized key/],
      [{ arguments: {} }, /arguments of get_ticket: .*number/],
      [{ arguments: { number: 'TCK-1001', nope: true } }, /arguments of get_ticket/],
      [{ arguments: { number: 1001 } }, /arguments of get_ticket: .*string/],
      [{ arguments: { number: 'TCK-1001' }, conversationId: 5 }, /conversationId must be a string/],
    ];
    for (const [body, message] of cases) {
      const r = await run<{ error: string; message: string }>('alex_agent', 'ticketing', 'get_ticket', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('invalid_request');
      expect(r.body.message).toMatch(message);
    }
    const big = await run<{ error: string }>('alex_agent', 'ticketing', 'add_comment', {
      arguments: { number: 'TCK-1001', body: 'x'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
  });

  it("someone else's conversation is not found, and nothing runs", async () => {
    const conv = await api<{ id: string }>('sam_supervisor', 'POST', '/api/conversations', {});
    const [t] = await tickets('alex_agent', { org: 'dallas-police', status: 'open' });
    const before = await ticket('alex_agent', t!.number);
    const r = await run<{ error: string }>('alex_agent', 'ticketing', 'add_comment', {
      conversationId: conv.body.id,
      arguments: { number: t!.number, body: 'should not be stored' },
    });
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('not_found');
    expect((await ticket('alex_agent', t!.number)).comments).toHaveLength(before.comments.length);
  });

  it('a failed run in a conversation is recorded there as a failed call', async () => {
    const conv = await api<{ id: string }>('alex_agent', 'POST', '/api/conversations', {});
    const [t] = await tickets('alex_agent', { org: 'dallas-police', status: 'open' });
    const r = await run<{ error: string }>('alex_agent', 'ticketing', 'update_ticket', {
      conversationId: conv.body.id,
      arguments: { number: t!.number, assignee: 'riley_agent' },
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('tool_error');
    const detail = await api<ConversationDetail>('alex_agent', 'GET', `/api/conversations/${conv.body.id}`);
    expect(detail.body.messages[0]).toMatchObject({ status: 'error' });
    expect(detail.body.messages[0]!.toolCalls[0]).toMatchObject({ tool: 'update_ticket', ok: false });
  });
});
