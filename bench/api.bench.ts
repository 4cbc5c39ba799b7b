/**
 * The API's own speed, with a scripted OpenAI-compatible model that answers instantly (test/support),
 * over the real stack (IDP, both MCP servers, Chroma, API as processes):
 *  1. time from sending a message to the first `message.delta` (p50/p95);
 *  2. the API's own overhead for a turn with two MCP tool calls plus one documentation retrieval,
 *     excluding model time: overhead = turn wall time − time inside the scripted model server (measured
 *     by the server per request) − time inside the two MCP tool calls (as the API measures them around
 *     each call: `tool.completed.ms`, which includes the HTTP round trip to the MCP server). The retrieval
 *     runs inside the API, so it is part of the overhead (and reported on its own too).
 */
import { figure, printFigures, summarize } from './lib.js';
import { call, sendMessage } from '../test/support/api-client.js';
import { startScriptedModel } from '../test/support/scripted-model.js';
import { startBackend } from '../test/support/backend.js';

const N = Number(process.env.BENCH_API_TURNS ?? 30);
const model = await startScriptedModel();
const stack = await startBackend({
  apiEnv: {
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: model.baseUrl,
    EMBEDDING_PROVIDER: 'offline',
    LOG_LEVEL: 'warn',
  },
});
try {
  const token = await stack.login('alex_agent');
  // Let the built-in documentation finish ingesting, so nothing runs in the background.
  for (let i = 0; i < 600; i++) {
    const docs = (
      await call<{ documents: { status: string }[] }>(stack.api.url, token, 'GET', '/api/knowledge/documents')
    ).body.documents;
    if (docs.length && docs.every((d) => d.status === 'ready' || d.status === 'failed')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const newConversation = async () =>
    (await call<{ id: string }>(stack.api.url, token, 'POST', '/api/conversations', {})).body.id;

  // 1. Time to first delta.
  model.setScript(() => ({ text: 'Here is the answer you asked for, straight away.' }));
  const firstDelta: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const id = await newConversation();
    const t0 = performance.now();
    let first = NaN;
    await sendMessage(stack.api.url, token, id, 'Hello', (e) => {
      if (e.event === 'message.delta' && Number.isNaN(first)) first = performance.now() - t0;
    });
    if (i >= 3) firstDelta.push(first);
  }
  const fd = summarize(firstDelta);
  console.log(`time to first message.delta over ${fd.n} turns (scripted model answers instantly, no tools):`);
  figure('api_first_delta_p50', fd.p50, 'ms');
  figure('api_first_delta_p95', fd.p95, 'ms');

  // 2. Overhead of a turn with two MCP tool calls and one retrieval.
  model.setScript((_req, i) =>
    i % 2 === 0
      ? {
          toolCalls: [
            { name: 'search_tickets', arguments: { org: 'dallas-police', limit: 10 } },
            { name: 'get_organization', arguments: { organization: 'dallas-police' } },
            { name: 'search_documentation', arguments: { query: 'docking station bay shows a red light' } },
          ],
        }
      : { text: 'Dallas Police has a few open tickets; see the dock article.' },
  );
  const wall: number[] = [];
  const overhead: number[] = [];
  const retrieval: number[] = [];
  const mcp: number[] = [];
  const modelMs: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const id = await newConversation();
    const busy0 = model.busyMs;
    const t0 = performance.now();
    const turn = await sendMessage(
      stack.api.url,
      token,
      id,
      'How is Dallas Police doing, and what about the dock?',
    );
    const total = performance.now() - t0;
    const done = turn.of('tool.completed') as { ok: boolean; ms: number }[];
    if (done.length !== 3 || !done.every((d) => d.ok) || turn.of('done').length !== 1) {
      throw new Error(`turn ${i} did not complete as scripted: ${JSON.stringify(turn.events.slice(-3))}`);
    }
    const inModel = model.busyMs - busy0;
    const inMcp = done[0]!.ms + done[1]!.ms;
    if (i < 3) continue;
    wall.push(total);
    modelMs.push(inModel);
    mcp.push(inMcp);
    retrieval.push(done[2]!.ms);
    overhead.push(total - inModel - inMcp);
  }
  const w = summarize(wall);
  const o = summarize(overhead);
  const r = summarize(retrieval);
  console.log(
    `turn with search_tickets + get_organization + search_documentation over ${w.n} turns:\n` +
      `  wall p50 ${w.p50.toFixed(1)} ms = model ${summarize(modelMs).p50.toFixed(1)} ms + MCP tools ${summarize(mcp).p50.toFixed(1)} ms + API overhead (incl. retrieval ${r.p50.toFixed(1)} ms)`,
  );
  figure('api_turn_2tools_1retrieval_wall_p50', w.p50, 'ms');
  figure('api_turn_overhead_excl_model_and_mcp_p50', o.p50, 'ms');
  figure('api_turn_overhead_excl_model_and_mcp_p95', o.p95, 'ms');
  figure('api_turn_retrieval_p50', r.p50, 'ms');
} finally {
  await stack.stop();
  await model.close();
}
printFigures();
