/**
 * Over the real back end: GET /api/home per role (each person's own rights: a customer sees only their
 * organization, suggestions name nothing they cannot see), and the conversation list's search inside
 * messages, pin, and the title an answer about one ticket gives its conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationList, ConversationSummary, Home } from '@msi/contracts/api';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';

let stack: Backend;
const tokens: Record<string, string> = {};
const USERS = ['james_smith', 'linda_baker', 'alex_agent', 'sam_supervisor'] as const;

beforeAll(async () => {
  stack = await startBackend();
  for (const u of USERS) tokens[u] = await stack.login(u);
}, 240_000);
afterAll(async () => {
  await stack?.stop();
});

const api = <T = Record<string, unknown>>(user: string, method: string, path: string, body?: unknown) =>
  call<T>(stack.api.url, tokens[user]!, method, path, body);

describe('GET /api/home', () => {
  it("a customer's home: their own tickets and their organization only", async () => {
    const { status, body } = await api<Home>('james_smith', 'GET', '/api/home');
    expect(status).toBe(200);
    expect(body.role).toBe('customer');
    expect(body.queue).toBeUndefined();
    expect(body.unassignedUrgent).toBeUndefined();
    expect(body.organizations?.map((o) => o.slug)).toEqual(['dallas-police']);
    expect(body.organizations?.[0]?.deployments.length).toBeGreaterThan(0);
    expect(body.myTickets?.tickets.length).toBeGreaterThan(0);
    for (const t of body.myTickets!.tickets) expect(t.organization).toBe('dallas-police');
    expect(body.suggestions).toContain('What is the status of Dallas Police Department?');
    expect(body.unavailable).toEqual([]);
  });

  it('a customer of another organization is never offered Dallas Police', async () => {
    const { body } = await api<Home>('linda_baker', 'GET', '/api/home');
    expect(body.organizations?.map((o) => o.slug)).toEqual(['allen-firestation']);
    expect(JSON.stringify(body)).not.toMatch(/dallas/i);
    expect(body.suggestions.some((s) => s.includes(body.organizations![0]!.name))).toBe(true);
  });

  it("an agent's queue: unresolved tickets assigned to them, SLA at risk first", async () => {
    const { body } = await api<Home>('alex_agent', 'GET', '/api/home');
    expect(body.role).toBe('agent');
    expect(body.organizations).toBeUndefined();
    expect(body.unassignedUrgent).toBeUndefined();
    const queue = body.queue!;
    expect(queue.total).toBeGreaterThan(0);
    expect(queue.tickets.length).toBeLessThanOrEqual(8);
    for (const t of queue.tickets) {
      expect(t.assignee).toBe('alex_agent');
      expect(['open', 'in_progress', 'waiting_on_customer']).toContain(t.status);
    }
    const due = queue.tickets.map((t) => t.slaDueAt);
    expect(due).toEqual([...due].sort());
    expect(body.suggestions).toContain(`Show ticket ${queue.tickets[0]!.number}`);
  });

  it("a supervisor's unassigned urgent tickets and today's breaches", async () => {
    const { body } = await api<Home>('sam_supervisor', 'GET', '/api/home');
    expect(body.role).toBe('supervisor');
    for (const t of body.unassignedUrgent!.tickets) {
      expect(t.assignee).toBeNull();
      expect(t.priority).toBe('urgent');
    }
    const dayStart = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z').toISOString();
    for (const t of body.breachesToday!.tickets) {
      expect(t.slaDueAt >= dayStart && t.slaDueAt <= new Date().toISOString()).toBe(true);
      expect(t.slaBreached).toBe(true);
    }
  });

  it('a malformed dayStart is a 400 that says what it wants', async () => {
    const bad = await api('sam_supervisor', 'GET', '/api/home?dayStart=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request', message: expect.stringMatching(/ISO 8601/) });
    const far = await api('sam_supervisor', 'GET', '/api/home?dayStart=2020-01-01T00:00:00Z');
    expect(far.status).toBe(400);
    const ok = await api(
      'sam_supervisor',
      'GET',
      `/api/home?dayStart=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`,
    );
    expect(ok.status).toBe(200);
  });
});

describe('the conversation list', () => {
  const list = async (user: string, q?: string) =>
    (
      await api<ConversationList>(
        user,
        'GET',
        `/api/conversations${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`,
      )
    ).body.conversations;

  it('finds conversations by words inside their messages, with where, and only the caller’s', async () => {
    // A title without the words: only the message has them.
    const created = (
      await api<ConversationSummary>('alex_agent', 'POST', '/api/conversations', { title: 'Dock notes' })
    ).body;
    const turn = await sendMessage(
      stack.api.url,
      tokens.alex_agent!,
      created.id,
      'How do I roll back a firmware update?',
    );
    expect(turn.status).toBe(200);
    const hits = await list('alex_agent', 'FIRMWARE update');
    const hit = hits.find((c) => c.id === created.id);
    expect(hit).toMatchObject({ title: 'Dock notes' });
    expect(hit!.match?.toLowerCase()).toContain('firmware');
    expect((await list('alex_agent', 'dock')).some((c) => c.id === created.id)).toBe(true);
    expect((await list('alex_agent', 'firmware zebra-never-said')).some((c) => c.id === created.id)).toBe(
      false,
    );
    // Another person's search never finds it.
    expect((await list('sam_supervisor', 'firmware update')).some((c) => c.id === created.id)).toBe(false);
    // LIKE's wildcards are text here.
    expect((await list('alex_agent', '%')).some((c) => c.id === created.id)).toBe(false);
  });

  it('pins and unpins; a pin of someone else’s conversation is not found; bad bodies are 400', async () => {
    const c = (
      await api<ConversationSummary>('alex_agent', 'POST', '/api/conversations', { title: 'Pin me' })
    ).body;
    expect(c.pinned).toBe(false);
    const pinned = await api<ConversationSummary>('alex_agent', 'PATCH', `/api/conversations/${c.id}`, {
      pinned: true,
    });
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ id: c.id, pinned: true, title: 'Pin me' });
    expect((await list('alex_agent')).find((x) => x.id === c.id)?.pinned).toBe(true);
    expect(
      (await api('sam_supervisor', 'PATCH', `/api/conversations/${c.id}`, { pinned: true })).status,
    ).toBe(404);
    const empty = await api('alex_agent', 'PATCH', `/api/conversations/${c.id}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ message: expect.stringMatching(/title, pinned/) });
    expect((await api('alex_agent', 'PATCH', `/api/conversations/${c.id}`, { pinned: 'yes' })).status).toBe(
      400,
    );
    const both = await api<ConversationSummary>('alex_agent', 'PATCH', `/api/conversations/${c.id}`, {
      pinned: false,
      title: 'Renamed',
    });
    expect(both.body).toMatchObject({ pinned: false, title: 'Renamed' });
  });

  it('an answer about one ticket names the conversation after it', async () => {
    const number = (await api<Home>('alex_agent', 'GET', '/api/home')).body.queue!.tickets[0]!;
    const c = (await api<ConversationSummary>('alex_agent', 'POST', '/api/conversations')).body;
    await sendMessage(stack.api.url, tokens.alex_agent!, c.id, `Show ticket ${number.number}`);
    const after = (await list('alex_agent')).find((x) => x.id === c.id)!;
    const full = `${number.number} · ${number.title}`;
    expect(after.title).toBe(full.length > 80 ? `${full.slice(0, 77).trimEnd()}…` : full);
    // A renamed conversation keeps its name.
    const d = (await api<ConversationSummary>('alex_agent', 'POST', '/api/conversations', { title: 'Mine' }))
      .body;
    await sendMessage(stack.api.url, tokens.alex_agent!, d.id, `Show ticket ${number.number}`);
    expect((await list('alex_agent')).find((x) => x.id === d.id)!.title).toBe('Mine');
  });
});

describe('citations', () => {
  it('a documentation answer marks its sources inline, and "Open document" reads the whole document', async () => {
    // The built-in documentation is ingested in the background: wait for /readyz to say it is.
    for (let i = 0; i < 120 && (await fetch(`${stack.api.url}/readyz`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 500));
    const c = (await api<ConversationSummary>('james_smith', 'POST', '/api/conversations')).body;
    const turn = await sendMessage(
      stack.api.url,
      tokens.james_smith!,
      c.id,
      'How do I roll back a firmware update?',
    );
    const sources = (turn.of('citations')[0]?.sources ?? []) as { documentId: string; snippet: string }[];
    expect(sources.length).toBeGreaterThan(0);
    expect(turn.text).toMatch(/\[1\]/);
    // The snippet is one plain sentence: no Markdown marks, no heading.
    for (const s of sources) expect(s.snippet).not.toMatch(/\*\*|^#/);
    const doc = await api<{ id: string; content: string; title: string }>(
      'james_smith',
      'GET',
      `/api/knowledge/documents/${sources[0]!.documentId}/content`,
    );
    expect(doc.status).toBe(200);
    expect(doc.body.id).toBe(sources[0]!.documentId);
    expect(doc.body.content.length).toBeGreaterThan(100);
    const missing = await api('james_smith', 'GET', '/api/knowledge/documents/nope/content');
    expect(missing.status).toBe(404);
    // The same passage is never two sources.
    const keys = sources.map((s) => s.snippet);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
