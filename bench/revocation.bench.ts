/**
 * The revoked-token window: how long a signed-out sign-in's tokens still work, at the API (its own
 * token) and at an MCP server (the exchanged token), measured over several real sign-outs against the
 * real back end (IDP on SQLite, REVOCATION_POLL_MS default 2 s). Each sample is the time from the end of
 * the end-session request to the first 401, polled every 10 ms.
 */
import { startBackend } from '../test/support/backend.js';
import { exchangeToken, loginWithPassword } from '../test/support/idp.js';
import { apiMe, mcpInitialize, signOut, waitUntil } from '../test/support/revocation.js';
import { figure, printFigures, summarize } from './lib.js';

const ROUNDS = 10;
const stack = await startBackend();
try {
  const api: number[] = [];
  const mcp: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tokens = await loginWithPassword(stack.idp.issuer, 'alex_agent');
    const mcpToken = (
      await exchangeToken(stack.idp.issuer, {
        subjectToken: tokens.access_token,
        resource: stack.ticketing.url,
      })
    ).access_token;
    if ((await apiMe(stack.api.url, tokens.access_token)).status !== 200)
      throw new Error('API refused a fresh token');
    if ((await mcpInitialize(stack.ticketing.url, mcpToken)).status !== 200)
      throw new Error('MCP server refused a fresh token');
    // Sign-outs land anywhere in the poll interval.
    await new Promise((r) => setTimeout(r, Math.random() * 2000));
    await signOut(stack.idp.issuer, tokens.id_token);
    const [a, m] = await Promise.all([
      waitUntil(
        'API 401',
        async () => (await apiMe(stack.api.url, tokens.access_token)).status === 401,
        30_000,
        10,
      ),
      waitUntil(
        'MCP 401',
        async () => (await mcpInitialize(stack.ticketing.url, mcpToken)).status === 401,
        30_000,
        10,
      ),
    ]);
    api.push(a);
    mcp.push(m);
  }
  for (const [name, samples] of [
    ['api', api],
    ['mcp', mcp],
  ] as const) {
    const s = summarize(samples);
    console.log(
      `revoked-token window at the ${name === 'api' ? 'API' : 'ticketing MCP server'}: ${s.n} sign-outs, p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms`,
    );
    figure(`revocation.${name}_window_p50`, s.p50, 'ms');
    figure(`revocation.${name}_window_max`, s.max, 'ms');
  }
} finally {
  await stack.stop();
}
printFigures();
