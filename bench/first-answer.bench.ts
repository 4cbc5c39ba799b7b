/**
 * A fast first answer: the time from sending a question to its first event of the answer (the stream's
 * first `tool.started` / `message.delta`; `turn.started`, which only names the turn, does not count), over the real stack as processes (IDP, both MCP servers, Chroma,
 * API; the offline provider a new installation meets), as the renderer does it: sign in, GET /api/me,
 * then the question at once (the warm-up that /api/me starts is still running: a person who types
 * first only gets a faster answer).
 *  - cold: the first question after a cold start of the whole stack (once it says ready);
 *  - new sign-in: the first question of a second person, on the same stack;
 *  - later: the next questions of the first person.
 * Each run is a fresh stack in a fresh data dir; p50 over BENCH_FIRST_RUNS runs (default 5).
 */
import { call, sendMessage } from '../test/support/api-client.js';
import { startBackend } from '../test/support/backend.js';
import { figure, printFigures, summarize } from './lib.js';

const RUNS = Number(process.env.BENCH_FIRST_RUNS ?? 5);
const LATER = 5;
const QUESTION = 'my open tickets';

async function firstEvent(api: string, token: string, content: string): Promise<number> {
  const conv = await call<{ id: string }>(api, token, 'POST', '/api/conversations', {});
  const t0 = performance.now();
  let first = NaN;
  const turn = await sendMessage(api, token, conv.body.id, content, (e) => {
    if (Number.isNaN(first) && e.event !== 'turn.started') first = performance.now() - t0;
  });
  const done = turn.of('tool.completed')[0];
  if (turn.status !== 200 || !done?.ok) throw new Error(`the turn failed: ${JSON.stringify(turn.events)}`);
  return first;
}

async function signIn(stack: Awaited<ReturnType<typeof startBackend>>, user: string): Promise<string> {
  const token = await stack.login(user);
  const me = await call(stack.api.url, token, 'GET', '/api/me');
  if (me.status !== 200) throw new Error(`GET /api/me answered ${me.status}`);
  return token;
}

const cold: number[] = [];
const fresh: number[] = [];
const later: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const stack = await startBackend({ apiEnv: { LOG_LEVEL: 'warn' } });
  try {
    // The stack's ready state: the API's /readyz (its dependencies, and the documentation ingested).
    for (let i = 0; (await fetch(`${stack.api.url}/readyz`)).status !== 200; i++) {
      if (i > 600) throw new Error('the API did not become ready within 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const alex = await signIn(stack, 'alex_agent');
    cold.push(await firstEvent(stack.api.url, alex, QUESTION));
    const riley = await signIn(stack, 'riley_agent');
    fresh.push(await firstEvent(stack.api.url, riley, QUESTION));
    for (let i = 0; i < LATER; i++) later.push(await firstEvent(stack.api.url, alex, QUESTION));
    console.log(
      `run ${run + 1}: cold ${cold.at(-1)!.toFixed(0)} ms, new sign-in ${fresh.at(-1)!.toFixed(0)} ms, later ${later
        .slice(-LATER)
        .map((x) => x.toFixed(0))
        .join('/')} ms`,
    );
  } finally {
    await stack.stop();
  }
}

const c = summarize(cold);
const f = summarize(fresh);
const l = summarize(later);
console.log(
  `first event of "${QUESTION}" (offline provider, one tool call), p50 over ${RUNS} fresh stacks ` +
    `(aim: ≤ 300 ms and ≤ 3× a later question):`,
);
figure('first_answer_cold_start_first_event_p50', c.p50, 'ms');
figure('first_answer_new_sign_in_first_event_p50', f.p50, 'ms');
figure('first_answer_later_question_first_event_p50', l.p50, 'ms');
figure('first_answer_cold_start_vs_later_ratio', c.p50 / l.p50, 'x');
figure('first_answer_new_sign_in_vs_later_ratio', f.p50 / l.p50, 'x');
printFigures();
