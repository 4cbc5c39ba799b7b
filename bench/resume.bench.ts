/**
 * A reload in the middle of a streaming answer: the page goes away after some deltas, comes back, asks
 * for the conversation (which names the running turn) and reads the turn's events after the last one it
 * had (`Last-Event-ID`). Measured: the time from that reconnect to the first resumed event (the target is
 * ≤ 500 ms), and whether the text read before and after is the whole answer, exactly (no delta missing or
 * repeated) and the same as the stored message.
 *  - local: one API instance, the desktop's way (SQLite, events in the process);
 *  - across instances: the turn runs on API A, the page comes back on API B (PostgreSQL, Redis Streams).
 * The scripted OpenAI-compatible model streams BENCH_RESUME_WORDS words (default 150), one every 10 ms;
 * BENCH_RESUME_RUNS reloads each (default 10), each after a different number of deltas.
 * Last, A is killed (`kill -9`) in the middle of a turn: the time until B has written it as interrupted
 * (its lease expires: TTL 5 s, looked for every second) and a reader on B got the end of its stream.
 */
import { randomBytes } from 'node:crypto';
import { API_ROUTES, apiPath, type ConversationDetail } from '@msi/contracts/api';
import { connectRedis, createLogger } from '@msi/kit';
import { call, readTurnEvents, sendMessage } from '../test/support/api-client.js';
import { startBackend } from '../test/support/backend.js';
import { startScriptedModel } from '../test/support/scripted-model.js';
import type { RunningService } from '../test/support/services.js';
import { figure, latencyFigures, printFigures } from './lib.js';

const RUNS = Number(process.env.BENCH_RESUME_RUNS ?? 10);
const WORDS = Number(process.env.BENCH_RESUME_WORDS ?? 150);
const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const model = await startScriptedModel();
const words = Array.from({ length: WORDS }, (_, i) => `w${i} `);
const expected = words.join('');
model.setScript(() => ({ text: words, chunkDelayMs: 10 }));
const modelEnv = {
  OPENAI_API_KEY: 'sk-bench',
  OPENAI_BASE_URL: model.baseUrl,
  OPENAI_MODEL: 'scripted-1',
  EMBEDDING_PROVIDER: 'offline',
  LOG_LEVEL: 'warn',
};

async function ready(api: RunningService) {
  for (let i = 0; (await fetch(`${api.url}/readyz`)).status !== 200; i++) {
    if (i > 600) throw new Error(`${api.url} did not become ready within 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One reload: returns ms from reconnect to the first resumed event, and whether the text is exact. */
async function reload(on: RunningService, back: RunningService, token: string, after: number) {
  const conv = await call<{ id: string }>(on.url, token, 'POST', API_ROUTES.conversations, {});
  const id = conv.body.id;
  let deltas = 0;
  const first = await sendMessage(on.url, token, id, 'Stream a long answer', (e) =>
    e.event === 'message.delta' && ++deltas === after ? 'stop' : undefined,
  );
  const last = first.events.at(-1)!.id!;
  const t0 = performance.now();
  // The reloaded page: the conversation names its running turn; then the events after the last one seen.
  const detail = await call<ConversationDetail>(
    back.url,
    token,
    'GET',
    apiPath(API_ROUTES.conversation, { id }),
  );
  const turnId = detail.body.activeTurn?.id;
  if (!turnId)
    throw new Error(`the turn had ended before the reload (after ${after} deltas); stream more words`);
  let firstMs = NaN;
  const rest = await readTurnEvents(back.url, token, turnId, last, () => {
    if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
  });
  if (rest.events.at(-1)?.event !== 'done')
    throw new Error(`the resumed stream ended with ${JSON.stringify(rest.events.at(-1))}`);
  const saved = await call<ConversationDetail>(
    back.url,
    token,
    'GET',
    apiPath(API_ROUTES.conversation, { id }),
  );
  const text = first.text + rest.text;
  const exact = text === expected && saved.body.messages[1]?.content === expected;
  return { firstMs, exact };
}

async function measure(label: string, on: RunningService, back: RunningService, token: string) {
  const samples: number[] = [];
  let exact = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await reload(on, back, token, 3 + ((i * 7) % Math.max(1, WORDS / 3)));
    samples.push(r.firstMs);
    if (r.exact) exact++;
  }
  console.log(`${label}: ${RUNS} reloads, ${exact} with the exact text`);
  latencyFigures(`resume_${label}_first_event`, samples);
  figure(`resume_${label}_exact_text`, exact / RUNS, 'ratio');
}

try {
  // Local: one instance, in-process events.
  const local = await startBackend({ apiEnv: modelEnv });
  try {
    await ready(local.api);
    const token = await local.login('alex_agent');
    await reload(local.api, local.api, token, 3); // warm-up
    await measure('local', local.api, local.api, token);
  } finally {
    await local.stop();
  }

  // Across instances: A runs the turn, the page comes back on B.
  const prefix = `msi-bench-resume-${randomBytes(4).toString('hex')}:`;
  const env = { ...modelEnv, REDIS_URL, REDIS_KEY_PREFIX: prefix };
  const shared = await startBackend({ postgres: true, apiEnv: env });
  try {
    await ready(shared.api);
    const b = await shared.startApi({ ...env, DATABASE_URL: shared.databaseUrls.api });
    await ready(b);
    const token = await shared.login('alex_agent');
    await reload(shared.api, b, token, 3); // warm-up
    await measure('across_instances', shared.api, b, token);

    // The instance running a turn dies.
    model.setScript(() => ({ hang: true, text: 'Thinking' }));
    const conv = await call<{ id: string }>(shared.api.url, token, 'POST', API_ROUTES.conversations, {});
    const first = await sendMessage(shared.api.url, token, conv.body.id, 'Think', (e) =>
      e.event === 'message.delta' ? 'stop' : undefined,
    );
    const turnId = String(first.events[0]!.data.turnId);
    const reader = readTurnEvents(b.url, token, turnId, first.events.at(-1)!.id);
    const exited = new Promise((r) => shared.api.proc.once('exit', r));
    shared.api.proc.kill('SIGKILL');
    await exited;
    const t0 = performance.now();
    const path = apiPath(API_ROUTES.conversation, { id: conv.body.id });
    while ((await call<ConversationDetail>(b.url, token, 'GET', path)).body.activeTurn) {
      if (performance.now() - t0 > 30_000) throw new Error('B did not take over within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const marked = performance.now() - t0;
    const end = (await reader).events.at(-1);
    if (end?.event !== 'error' || end.data.error !== 'interrupted')
      throw new Error(`the reader on B ended with ${JSON.stringify(end)}`);
    console.log(
      `kill -9 of the instance running a turn: interrupted by the other after ${marked.toFixed(0)} ms`,
    );
    figure('resume_takeover_after_kill_ms', marked, 'ms');
  } finally {
    await shared.stop();
    const redis = await connectRedis({ url: REDIS_URL, prefix, log: createLogger('bench', 'silent') });
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.close();
  }
} finally {
  await model.close();
}
printFigures();
