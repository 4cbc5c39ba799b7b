/**
 * Copilot actions in Basic mode (offline provider, extractive) over the real stack (IDP, both MCP servers,
 * Chroma, API as processes), as an agent: Summarize, Draft reply and Similar tickets on open tickets of
 * their organizations. Times are the client's (request to parsed answer), p50/p95; the API's own `ms`
 * is reported too. `BENCH_COPILOT_N` requests per action (default 30), over different tickets.
 */
import { figure, latencyFigures, printFigures, summarize } from './lib.js';
import { call } from '../test/support/api-client.js';
import { startBackend } from '../test/support/backend.js';
import { dbFile, query } from '../test/support/data-dir.js';

const N = Number(process.env.BENCH_COPILOT_N ?? 30);
const stack = await startBackend({ apiEnv: { LOG_LEVEL: 'warn' } });
try {
  const token = await stack.login('alex_agent');
  for (let i = 0; i < 600; i++) {
    const docs = (
      await call<{ documents: { status: string }[] }>(stack.api.url, token, 'GET', '/api/knowledge/documents')
    ).body.documents;
    if (docs.length && docs.every((d) => d.status === 'ready' || d.status === 'failed')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const numbers = query<{ n: string }>(
    dbFile(stack.dataDir, 'ticketing'),
    `SELECT 'TCK-' || id AS n FROM tickets WHERE org IN ('dallas-police', 'allen-firestation', 'atlanta-police')
       AND status IN ('open', 'in_progress', 'waiting_on_customer') ORDER BY id`,
  ).map((r) => r.n);
  console.log(`Basic mode copilot, alex_agent, ${numbers.length} open tickets, ${N} requests per action:`);
  for (const action of ['summarize', 'draft_reply', 'similar'] as const) {
    const path = (n: string) => `/api/tickets/${n}/copilot/${action}`;
    for (let i = 0; i < 3; i++) await call(stack.api.url, token, 'POST', path(numbers[i % numbers.length]!));
    const wall: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await call<{ ms: number }>(stack.api.url, token, 'POST', path(numbers[i % numbers.length]!));
      wall.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`${action}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      server.push(r.body.ms);
    }
    latencyFigures(`copilot_offline_${action}`, wall);
    figure(`copilot_offline_${action}_api_p50_ms`, summarize(server).p50, 'ms');
  }
} finally {
  await stack.stop();
}
printFigures();
