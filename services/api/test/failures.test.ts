/**
 * Honest failures, with the real services as processes: a hung MCP server (SIGSTOP: it still accepts
 * connections, it never answers) gives the person a tool error that names the service and the timeout —
 * for a known person's call and for a new person whose tool list cannot be fetched — never "no tool
 * named …"; /readyz says it is not responding. A hung Chroma degrades documentation search to the
 * full-text leg with a note, within the Chroma timeout, and vectors come back after SIGCONT. An approved
 * change sent to a server that then hangs is "outcome unknown", never "could not".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { dbFile, query } from '../../../test/support/data-dir.js';

let stack: Backend;
const stopped: number[] = [];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  // No search cache: the hung-Chroma case must reach Chroma (a cached answer would hide the hang).
  stack = await startBackend({
    apiEnv: { MCP_TIMEOUT_MS: '1500', CHROMA_TIMEOUT_MS: '800', SEARCH_CACHE_TTL_MS: '0' },
  });
  for (const u of ['alex_agent', 'riley_agent', 'sam_supervisor']) tokens[u] = await stack.login(u);
  // The built-in documentation is ingested before the stack says it is ready.
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${stack.api.url}/readyz`)).status !== 200 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
});
afterAll(async () => {
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
  await stack?.stop();
});

function freeze(pid: number) {
  process.kill(pid, 'SIGSTOP');
  stopped.push(pid);
}
function thaw(pid: number) {
  process.kill(pid, 'SIGCONT');
  stopped.splice(stopped.indexOf(pid), 1);
}

async function ask(user: string, content: string) {
  const conv = await call<{ id: string }>(stack.api.url, tokens[user]!, 'POST', '/api/conversations', {});
  expect(conv.status).toBe(201);
  const t0 = performance.now();
  const turn = await sendMessage(stack.api.url, tokens[user]!, conv.body.id, content);
  return { ...turn, ms: performance.now() - t0 };
}

describe('a hung MCP server', () => {
  it('is named in the tool error, for a known and a new person, and /readyz says it is not responding', async () => {
    // Alex's tool list is fetched (and cached) while the ticket service answers.
    const warm = await ask('alex_agent', 'my open tickets');
    expect(warm.of('tool.completed')[0]).toMatchObject({ ok: true });

    const pid = stack.ticketing.proc.pid!;
    freeze(pid);
    try {
      const known = await ask('alex_agent', 'my open tickets');
      expect(known.of('tool.started')[0]).toMatchObject({ server: 'ticketing', tool: 'search_tickets' });
      expect(known.of('tool.completed')[0]).toMatchObject({
        ok: false,
        error: "The ticket service didn't answer in 1.5 s",
      });
      expect(known.text).toContain("The ticket service didn't answer in 1.5 s");
      expect(known.of('done')).toHaveLength(1);
      expect(known.ms).toBeLessThan(6_000);

      // Riley has no list yet and it cannot be fetched: the server's tools (as listed to the API itself at
      // start) stand in, and the call says what is wrong, at once — not a tool or right Riley lacks.
      const fresh = await ask('riley_agent', 'my open tickets');
      expect(fresh.of('tool.started')[0]).toMatchObject({ server: 'ticketing', tool: 'search_tickets' });
      expect(fresh.of('tool.completed')[0]).toMatchObject({
        ok: false,
        error: "The ticket service didn't answer in 1.5 s",
      });
      expect(fresh.text).toContain("The ticket service didn't answer in 1.5 s");
      expect(fresh.text).not.toMatch(/no tool named|current rights/);
      expect(fresh.ms).toBeLessThan(8_000);

      const ready = await fetch(`${stack.api.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { message: string; checks: Record<string, { ok: boolean }> };
      expect(body.message).toBe('not ready: ticketing is not responding');
      expect(body.checks.organizations!.ok).toBe(true);
    } finally {
      thaw(pid);
    }

    // Answering again: the next question works as before (a fresh connection).
    const again = await ask('riley_agent', 'my open tickets');
    expect(again.of('tool.completed')[0]).toMatchObject({ ok: true });
    expect((await fetch(`${stack.api.url}/readyz`)).status).toBe(200);
  }, 90_000);
});

describe('an MCP server that stops answering after an approved change was sent', () => {
  it('records the change as "outcome unknown", never as failed; it is made when the server answers again', async () => {
    const tag = `hung-${Date.now().toString(36)}`;
    // Alex's connection to the ticket service is open (a call that hangs while connecting was never sent).
    expect((await ask('alex_agent', 'my open tickets')).of('tool.completed')[0]).toMatchObject({ ok: true });
    const conv = await call<{ id: string }>(
      stack.api.url,
      tokens.alex_agent!,
      'POST',
      '/api/conversations',
      {},
    );
    const pid = stack.ticketing.proc.pid!;
    const turn = await sendMessage(
      stack.api.url,
      tokens.alex_agent!,
      conv.body.id,
      `create a ticket for Dallas Police: ${tag} radio console freezes`,
      async (e) => {
        if (e.event !== 'approval.required') return;
        // The server takes the request into its socket and never answers (hung, not down).
        freeze(pid);
        const r = await call(
          stack.api.url,
          tokens.alex_agent!,
          'POST',
          `/api/approvals/${String(e.data.approvalId)}`,
          {
            decision: 'approve',
          },
        );
        expect(r.status).toBe(200);
      },
    );
    try {
      // The last call is the change (a lookup of the organization comes first).
      const done = turn.of('tool.completed').at(-1)!;
      expect(done.ok).toBe(false);
      expect(String(done.error)).toMatch(
        /^Outcome unknown — check the ticket: The ticket service didn't answer in 1\.5 s/,
      );
      expect(turn.text).toContain('Outcome unknown — check the ticket');
      expect(turn.text).not.toMatch(/could not create/i);
      const stored = await call<{ messages: { toolCalls: { error?: string }[] }[] }>(
        stack.api.url,
        tokens.alex_agent!,
        'GET',
        `/api/conversations/${conv.body.id}`,
      );
      expect(stored.body.messages.at(-1)!.toolCalls.at(-1)!.error).toMatch(
        /^Outcome unknown — check the ticket/,
      );
    } finally {
      thaw(pid);
    }
    // The server read the request before it hung: once it answers again, the change is there.
    const deadline = Date.now() + 15_000;
    let found = 0;
    while (Date.now() < deadline && found === 0) {
      const rows = query<{ n: number }>(
        dbFile(stack.dataDir, 'ticketing'),
        'SELECT count(*) AS n FROM tickets WHERE title LIKE ?',
        `%${tag}%`,
      );
      found = Number(rows[0]?.n ?? 0);
      if (!found) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toBe(1);
  }, 90_000);
});

describe('a hung Chroma', () => {
  it('degrades documentation search to full-text with a note, in the timeout, and recovers', async () => {
    const q = 'how do I roll back a firmware rollout?';
    const search = (query: string) =>
      call<{ results: { chunkId: string }[]; note?: string }>(
        stack.api.url,
        tokens.sam_supervisor!,
        'GET',
        `/api/knowledge/search?q=${encodeURIComponent(query)}&k=5`,
      );
    const before = await search(q);
    expect(before.status).toBe(200);
    expect(before.body.note).toBeUndefined();
    expect(before.body.results.length).toBeGreaterThan(0);

    const pid = stack.chroma.proc.pid!;
    freeze(pid);
    try {
      const t0 = performance.now();
      const hung = await search(q);
      expect(performance.now() - t0).toBeLessThan(3_000);
      expect(hung.status).toBe(200);
      expect(hung.body.results.length).toBeGreaterThan(0);
      expect(hung.body.note).toBe(
        'The vector store did not answer in 0.8 s, so these results come from full-text search only and may miss passages that use other words.',
      );
      // The next search does not wait for it again.
      const t1 = performance.now();
      expect((await search('evidence retention policy')).body.note).toContain('full-text search only');
      expect(performance.now() - t1).toBeLessThan(500);

      // In a turn: the documentation tool's result carries the note; the answer still cites passages.
      const turn = await ask('sam_supervisor', q);
      expect(turn.ms).toBeLessThan(3_000);
      // The last call is the change (a lookup of the organization comes first).
      const done = turn.of('tool.completed').at(-1)!;
      expect(done).toMatchObject({ ok: true });
      expect((done.result as { note?: string }).note).toContain('did not answer in 0.8 s');
      expect(turn.of('citations')).toHaveLength(1);

      expect(stack.api.output()).toContain('search without vectors (full-text only)');
      const ready = (await (await fetch(`${stack.api.url}/readyz`)).json()) as { message: string };
      expect(ready.message).toBe('not ready: chroma is not responding');
    } finally {
      thaw(pid);
    }
    // After the back-off, vectors are used again.
    await new Promise((r) => setTimeout(r, 10_500));
    const after = await search(q);
    expect(after.body.note).toBeUndefined();
    expect(after.body.results).toEqual(before.body.results);
  }, 90_000);
});
