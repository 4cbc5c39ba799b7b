/**
 * The renderer's side of tracing (docs/tracing.md): every request it makes to the API carries a W3C
 * traceparent, each user action a trace of its own, and the API (another origin in the web shell) takes
 * the header through CORS and answers with the request id it logged the request under.
 */
import type { Request } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { signIn } from './support/auth.js';
import { ask } from './support/chat.js';

test('each API request carries a traceparent, one trace per action, and is answered with its request id', async ({
  app,
  stack,
}) => {
  const api = new URL(stack.url('api')).origin;
  const sent: Request[] = [];
  app.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin === api && url.pathname.startsWith('/api/') && r.method() !== 'OPTIONS') sent.push(r);
  });
  await signIn(app, 'alex_agent');
  await ask(app, 'What are my open tickets?');

  const turn = sent.find(
    (r) => r.method() === 'POST' && /\/api\/conversations\/[^/]+\/messages$/.test(r.url()),
  );
  expect(
    turn,
    `the turn's request among ${sent.map((r) => `${r.method()} ${r.url()}`).join(', ')}`,
  ).toBeDefined();
  const parents = sent.map((r) => r.headers()['traceparent']);
  for (const [i, p] of parents.entries())
    expect(p, sent[i]!.url()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  // Separate actions, separate traces; each request a span of its own.
  const traces = new Set(parents.map((p) => p!.split('-')[1]));
  expect(traces.size).toBe(parents.length);

  const answer = await turn!.response();
  expect(answer?.status()).toBe(200);
  expect(answer?.headers()['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});
