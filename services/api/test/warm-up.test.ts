/**
 * A fast first answer, with the real stack as processes: /readyz is ready only with the documentation
 * ingested, and GET /api/me (what the renderer asks right after sign-in) starts the person's token
 * exchanges and tool lists for both MCP servers without waiting for them; their first question then
 * reuses them (no exchange of its own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** Token exchanges the API did at the IDP so far (its Prometheus counter, all audiences). */
async function exchanges(): Promise<number> {
  const text = await (await fetch(`${stack.api.url}/metrics`)).text();
  return [...text.matchAll(/^api_token_exchanges_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

async function until(what: string, pred: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('warming up for the first answer', () => {
  it('is ready only once the documentation is ingested', async () => {
    let body: { status: string; checks: Record<string, { ok: boolean; detail: string }> } | undefined;
    await until(
      'ready',
      async () => {
        const res = await fetch(`${stack.api.url}/readyz`);
        body = (await res.json()) as typeof body;
        return res.status === 200;
      },
      60_000,
    );
    expect(body!.checks.documentation).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^\d+ built-in documents ingested$/),
    });
    const docs = await call<{ documents: { source: string; status: string }[] }>(
      stack.api.url,
      await stack.login('alex_agent'),
      'GET',
      '/api/knowledge/documents',
    );
    const builtin = docs.body.documents.filter((d) => d.source === 'builtin');
    expect(builtin.length).toBeGreaterThan(0);
    expect(builtin.every((d) => d.status === 'ready')).toBe(true);
  }, 90_000);

  it('GET /api/me starts the exchanges for both MCP servers; the first question reuses them', async () => {
    const token = await stack.login('linda_baker');
    const before = await exchanges();
    const me = await call(stack.api.url, token, 'GET', '/api/me');
    expect(me.status).toBe(200);
    // Nothing else asked for them: the warm-up did (one per MCP server).
    await until('the warm-up exchanges', async () => (await exchanges()) === before + 2);

    const conv = await call<{ id: string }>(stack.api.url, token, 'POST', '/api/conversations', {});
    const turn = await sendMessage(stack.api.url, token, conv.body.id, 'my open tickets');
    expect(turn.of('tool.completed')[0]).toMatchObject({ ok: true });
    expect(await exchanges()).toBe(before + 2);
  }, 60_000);
});
