/**
 * Load and faults through the production topology (issue #12; docs/topology.md): `npm run bench -- load`.
 *
 * Starts the topology (PostgreSQL-backed IDP, 2 ticketing, 2 organizations, 3 API instances, Chroma,
 * Redis, nginx with TLS) on fresh databases, then BENCH_LOAD_PEOPLE simulated people (default 50: the
 * demo users, several sessions each) each ask BENCH_LOAD_TURNS questions (default 10) through nginx, in
 * Basic mode (the offline provider; OPENAI_* in the environment selects a model instead). Every third
 * turn asks to create a ticket: its approval is decided through another API instance than the one that
 * runs the turn (nginx names the instance: X-Upstream). When a third of the turns are done, one API and
 * one ticketing instance get `kill -9` (the topology's supervisor restarts them). A stream cut by the kill
 * is read again through nginx with Last-Event-ID, as the renderer does.
 *
 * Then it checks, against PostgreSQL and the API: every approved change exists exactly once (a turn cut
 * off after its approval may or may not have made it: "outcome unknown", never twice); every conversation
 * has all its messages; no turn is left `running`; and a rate limit of RATE_LIMIT_REQUESTS per minute
 * per person holds within N+1 across the three instances (one person, not used by the load, sends N+10
 * requests). It stops by itself and exits 1 when a check fails. Loopback only.
 */
import { randomBytes } from 'node:crypto';
import { OUTCOME_UNKNOWN } from '@msi/contracts/api';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { dropDatabases, freePortRun } from '../main/src/node/topology/infra.js';
import { DATABASE_SERVICES, databaseName } from '../main/src/node/topology/plan.js';
import { Topology } from '../main/src/node/topology/topology.js';
import { call, readTurnEvents, sendMessage, type TurnResult } from '../test/support/api-client.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { loginWithPassword } from '../test/support/idp.js';
import { trustCertificate } from '../test/support/tls-fetch.js';
import { figure, printFigures, summarize } from './lib.js';

const PEOPLE = Number(process.env.BENCH_LOAD_PEOPLE ?? 50);
const TURNS = Number(process.env.BENCH_LOAD_TURNS ?? 10);
const RATE = Number(process.env.BENCH_LOAD_RATE_LIMIT ?? 300);
const DB_URL = process.env.MSI_TEST_DATABASE_URL || 'postgres://root@127.0.0.1:5432';
const run = randomBytes(3).toString('hex');
const dbPrefix = `msi_b_load_${run}`;
const dir = tempDataDir('msi-bench-load-');

/** Who the simulated people are, and how each asks for a new ticket in an organization they serve. */
const USERS: { username: string; create: string; list: string }[] = [
  { username: 'james_smith', create: 'create a ticket:', list: 'my open tickets' },
  { username: 'linda_baker', create: 'create a ticket:', list: 'my open tickets' },
  { username: 'paul_morgan', create: 'create a ticket:', list: 'my open tickets' },
  { username: 'alex_agent', create: 'create a ticket for Dallas Police:', list: 'my open tickets' },
  { username: 'riley_agent', create: 'create a ticket for Seattle Police:', list: 'my open tickets' },
  {
    username: 'sam_supervisor',
    create: 'create a ticket for Austin EMS:',
    list: 'unassigned urgent tickets',
  },
];
const DOC_QUESTIONS = [
  'how do I export a video from the evidence library',
  'how do I add a user to an agency',
  'what does the docking station LED mean',
];

type Outcome = 'done' | 'interrupted' | 'cancelled' | 'error' | 'failed';
interface TurnLog {
  person: number;
  outcome: Outcome;
  firstEventMs?: number;
  /** The ticket title marker when this turn asked for a change, and whether it was approved. */
  marker?: string;
  approved?: boolean;
  /** The approved change's tool call answered ok (false: the person was told it failed). */
  changeOk?: boolean;
  /** The approved change's call failed after it was sent: recorded as "outcome unknown". */
  changeUnknown?: boolean;
  errorKind?: string;
  /** Done after a 502/409 at send and a second send. */
  recovered?: boolean;
  resumed: number;
}

const topology = new Topology({
  dataDir: dir.dir,
  port: await freePortRun(5),
  databaseUrl: DB_URL,
  dbPrefix,
  redisKeyPrefix: `msi:bench-load:${run}:`,
  logLevel: 'warn',
  // A decision that never reaches the turn (a bug this run is there to find) costs 30 s, not 5 min.
  apiEnv: { RATE_LIMIT_REQUESTS: String(RATE), APPROVAL_TIMEOUT_MS: '30000' },
});
const pools: pg.Pool[] = [];
let failedChecks = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failedChecks++;
};

try {
  const coldMs = await topology.start();
  console.log(`topology ready in ${(coldMs / 1000).toFixed(1)} s at ${topology.webUrl}`);
  trustCertificate(readFileSync(topology.certFile, 'utf8'));
  const { api, idp } = topology.publicUrls;
  const apiInstances = () =>
    topology
      .snapshot()
      .instances.filter((i) => i.service === 'api')
      .map((i) => ({ id: i.id, url: i.url, port: Number(new URL(i.url).port) }));

  // Sign everyone in (each person a session of their own), through nginx.
  const people = await Promise.all(
    Array.from({ length: PEOPLE }, async (_, n) => {
      const user = USERS[n % USERS.length]!;
      const tokens = await loginWithPassword(idp, user.username, 'demo', {
        redirectUri: `${topology.webUrl}/auth/callback`,
      });
      const me = await call(api, tokens.access_token, 'GET', '/api/me');
      if (me.status !== 200) throw new Error(`GET /api/me for ${user.username}: HTTP ${me.status}`);
      const conv = await call<{ id: string }>(api, tokens.access_token, 'POST', '/api/conversations', {});
      if (conv.status !== 201 && conv.status !== 200)
        throw new Error(`new conversation for ${user.username}: HTTP ${conv.status}`);
      /** `sent`: the turns that started (a POST that nginx answered 502 stored nothing to count). */
      return { n, user, token: tokens.access_token, conversationId: conv.body.id, sent: 0 };
    }),
  );
  console.log(`${PEOPLE} people signed in; ${PEOPLE * TURNS} turns to go`);

  const logs: TurnLog[] = [];
  let killed = false;
  const killOne = () => {
    if (killed || logs.length < (PEOPLE * TURNS) / 3) return;
    killed = true;
    for (const id of ['api-2', 'ticketing-1']) {
      const pid = topology.snapshot().instances.find((i) => i.id === id)?.pid;
      if (pid) process.kill(pid, 'SIGKILL');
      console.log(`kill -9 ${id} (pid ${pid}) after ${logs.length} turns`);
    }
  };

  /** One turn: through nginx; an approval decided at another instance; a cut stream read again. */
  async function turn(p: (typeof people)[number], k: number): Promise<TurnLog> {
    const wantsChange = k % 3 === 2;
    const marker = wantsChange ? `load-${run}-p${p.n}-t${k}` : undefined;
    const content = wantsChange
      ? `${p.user.create} ${marker} the camera does not boot`
      : k % 3 === 0
        ? p.user.list
        : DOC_QUESTIONS[(p.n + k) % DOC_QUESTIONS.length]!;
    const log: TurnLog = { person: p.n, outcome: 'failed', resumed: 0, ...(marker ? { marker } : {}) };
    const t0 = performance.now();
    let runningAt: string | undefined;
    let turnId: string | undefined;
    let lastId: string | undefined;
    const onEvent = async (e: { event: string; data: Record<string, unknown>; id?: string }) => {
      if (e.id) lastId = e.id;
      if (e.event === 'turn.started') {
        turnId = String(e.data.turnId);
        p.sent++;
      } else log.firstEventMs ??= performance.now() - t0;
      if (e.event === 'tool.completed' && log.approved && log.changeOk === undefined) {
        log.changeOk = e.data.ok === true;
        log.changeUnknown = String(e.data.error ?? '').startsWith(OUTCOME_UNKNOWN);
      }
      if (e.event === 'approval.required') {
        // Another instance than the one running the turn; the next one when it does not answer (killed).
        const others = apiInstances().filter((i) => i.id !== runningAt);
        let status = 0;
        for (let i = 0; i < others.length && status === 0; i++) {
          const via = others[(p.n + k + i) % others.length]!;
          status = (
            await call(
              via.url,
              p.token,
              'POST',
              `/api/approvals/${encodeURIComponent(String(e.data.approvalId))}`,
              {
                decision: 'approve',
              },
            ).catch(() => ({ status: 0 }))
          ).status;
        }
        log.approved = status >= 200 && status < 300;
        if (!log.approved) log.errorKind = `approval via another instance: HTTP ${status}`;
      }
    };
    let res: TurnResult;
    try {
      res = await sendMessageSeen(p, content, onEvent, (upstream) => {
        runningAt = apiInstances().find((i) => upstream?.endsWith(`:${i.port}`))?.id;
      });
    } catch (err) {
      res = { status: 0, events: [], text: '', of: () => [] };
      log.errorKind = `stream: ${(err as Error).message}`;
    }
    // 502 (nginx's instance died with the request) or 409 (a turn of this conversation still runs, cut
    // off from us): as the renderer does, read the conversation, follow its running turn to the end,
    // then send the question again — once.
    if (res.status === 502 || res.status === 409) {
      log.errorKind = `HTTP ${res.status} at send (sent again)`;
      for (let i = 0; i < 40; i++) {
        // nginx may answer its own error page while every instance it tries is restarting: try again.
        const detail = await call<{ activeTurn?: { id: string } }>(
          api,
          p.token,
          'GET',
          `/api/conversations/${p.conversationId}`,
        ).catch(() => ({ status: 0, body: undefined }));
        const active = detail.body?.activeTurn?.id;
        if (detail.status === 200 && !active) break;
        if (active) await readTurnEvents(api, p.token, active).catch(() => undefined);
        else await new Promise((r) => setTimeout(r, 250));
      }
      res = await sendMessageSeen(p, content, onEvent, (upstream) => {
        runningAt = apiInstances().find((i) => upstream?.endsWith(`:${i.port}`))?.id;
      }).catch((err: Error) => {
        log.errorKind = `stream: ${err.message}`;
        return { status: 0, events: [], text: '', of: () => [] };
      });
    }
    // A stream cut off (its instance died, a blip): read the turn again through nginx from the last id.
    for (let tries = 0; turnId && !ended(res) && tries < 30; tries++) {
      log.resumed++;
      await new Promise((r) => setTimeout(r, 500));
      try {
        const again = await readTurnEvents(api, p.token, turnId, lastId, onEvent);
        res = { ...again, events: [...res.events, ...again.events] };
      } catch (err) {
        log.errorKind = `resume: ${(err as Error).message}`;
      }
    }
    const last = res.events.at(-1);
    if (last?.event === 'done') log.outcome = 'done';
    else if (last?.event === 'cancelled') log.outcome = 'cancelled';
    else if (last?.event === 'error')
      log.outcome = String(last.data.error) === 'interrupted' ? 'interrupted' : 'error';
    if (log.outcome === 'done' && log.errorKind?.endsWith('(sent again)')) log.recovered = true;
    if (log.outcome !== 'done' && !log.errorKind)
      log.errorKind =
        last?.event === 'http_error'
          ? `HTTP ${res.status} ${String(last.data.error ?? '')}`
          : `${last?.event ?? 'no events'}${last?.data.error ? ` ${String(last.data.error)}` : ''}`;
    return log;
  }

  const t0 = performance.now();
  await Promise.all(
    people.map(async (p) => {
      for (let k = 0; k < TURNS; k++) {
        logs.push(await turn(p, k));
        killOne();
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;

  // What the run left behind, read back.
  const byOutcome = (o: Outcome) => logs.filter((l) => l.outcome === o).length;
  const firsts = summarize(logs.flatMap((l) => (l.firstEventMs === undefined ? [] : [l.firstEventMs])));
  console.log(`\n${logs.length} turns in ${wallS.toFixed(1)} s through nginx`);
  console.log(
    `| completed | interrupted | failed | first event p50 | first event p95 |\n|---|---|---|---|---|\n` +
      `| ${byOutcome('done')} | ${byOutcome('interrupted')} | ${logs.length - byOutcome('done') - byOutcome('interrupted')} ` +
      `| ${firsts.p50.toFixed(0)} ms | ${firsts.p95.toFixed(0)} ms |`,
  );
  const kinds = new Map<string, number>();
  for (const l of logs) if (l.errorKind) kinds.set(l.errorKind, (kinds.get(l.errorKind) ?? 0) + 1);
  console.log(
    kinds.size
      ? `errors by kind:\n${[...kinds].map(([k, n]) => `  ${n} × ${k}`).join('\n')}`
      : 'errors by kind: none',
  );
  console.log(
    `streams read again after a cut: ${logs.reduce((s, l) => s + l.resumed, 0)}; ` +
      `turns done after a 502/409 at send and a second send: ${logs.filter((l) => l.recovered).length}`,
  );

  const db = (service: (typeof DATABASE_SERVICES)[number]) => {
    const url = new URL(DB_URL);
    url.pathname = `/${databaseName(dbPrefix, service)}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    pools.push(pool);
    return pool;
  };
  const tickets = db('ticketing');
  const counts = new Map<string, number>();
  const rows = await tickets.query<{ title: string }>(`SELECT title FROM tickets WHERE title ILIKE $1`, [
    `load-${run}-%`,
  ]);
  for (const r of rows.rows) {
    const m = /^load-[0-9a-f]+-p\d+-t\d+/i.exec(r.title)?.[0]?.toLowerCase();
    if (m) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  const approved = logs.filter((l) => l.marker && l.approved);
  const made = approved.filter((l) => l.outcome === 'done' && l.changeOk);
  const lost = made.filter((l) => (counts.get(l.marker!) ?? 0) !== 1);
  const doubled = [...counts].filter(([, n]) => n > 1);
  const toldFailed = approved.filter((l) => l.outcome === 'done' && l.changeOk === false && !l.changeUnknown);
  const toldFailedMade = toldFailed.filter((l) => counts.get(l.marker!) === 1).length;
  const toldUnknown = approved.filter((l) => l.outcome === 'done' && l.changeUnknown);
  const toldUnknownMade = toldUnknown.filter((l) => counts.get(l.marker!) === 1).length;
  const cutOff = approved.filter((l) => l.outcome !== 'done');
  const unknownMade = cutOff.filter((l) => counts.get(l.marker!) === 1).length;
  check(
    lost.length === 0,
    `every change approved and answered ok exists exactly once (${made.length}; ${lost.length} missing)`,
  );
  check(doubled.length === 0, `no change made twice (${doubled.length} doubled)`);
  check(
    toldFailedMade === 0,
    `no change reported failed was made (${toldFailedMade} of ${toldFailed.length}; a call that failed after it was sent is "outcome unknown")`,
  );
  console.log(
    `     approved, the call failed after it was sent ("${OUTCOME_UNKNOWN}"): ${toldUnknown.length} (${toldUnknownMade} made)\n` +
      `     approved, the turn cut off: ${cutOff.length} (${unknownMade} made)`,
  );

  // Every conversation holds every question whose turn started, each answered (an answer of its own,
  // interrupted ones included), and no question without its answer.
  let missing = 0;
  let unknownRecorded = 0;
  for (const p of people) {
    const conv = await call<{
      messages: { role: string; content: string; toolCalls?: { error?: string }[] }[];
    }>(api, p.token, 'GET', `/api/conversations/${p.conversationId}`);
    const msgs = conv.status === 200 ? conv.body.messages : [];
    const answered = msgs.every((m, i) => m.role !== 'user' || msgs[i + 1]?.role === 'assistant');
    const questions = msgs.filter((m) => m.role === 'user').length;
    if (!answered || questions < p.sent) missing++;
    for (const m of msgs)
      for (const c of m.toolCalls ?? []) if (c.error?.startsWith(OUTCOME_UNKNOWN)) unknownRecorded++;
  }
  check(
    missing === 0,
    `every conversation has every question that started and an answer to each (${missing} of ${people.length} short)`,
  );
  console.log(`     changes recorded as "${OUTCOME_UNKNOWN}": ${unknownRecorded}`);

  const apiDb = db('api');
  let running = -1;
  for (let i = 0; i < 60; i++) {
    running = Number(
      (await apiDb.query<{ n: string }>(`SELECT count(*) AS n FROM turns WHERE status = 'running'`)).rows[0]!
        .n,
    );
    if (running === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  check(running === 0, `no turn left running (${running})`);

  // The rate limit across instances: one person (not in the load) sends N+10 requests through nginx.
  const admin = await loginWithPassword(idp, 'admin', 'demo', {
    redirectUri: `${topology.webUrl}/auth/callback`,
  });
  const statuses = await Promise.all(
    Array.from({ length: RATE + 10 }, () =>
      call(api, admin.access_token, 'GET', '/api/conversations').then((r) => ({
        status: r.status,
        retry: r.headers.get('retry-after'),
      })),
    ),
  );
  const allowed = statuses.filter((s) => s.status === 200).length;
  const limited = statuses.filter((s) => s.status === 429);
  check(
    allowed <= RATE + 1 && limited.length > 0 && limited.every((s) => s.retry),
    `a limit of ${RATE}/min holds across the three instances: ${allowed} allowed of ${RATE + 10} (≤ ${RATE + 1}), ${limited.length} answered 429 with Retry-After`,
  );

  figure('load_turns_completed', byOutcome('done'), 'turns');
  figure('load_turns_interrupted', byOutcome('interrupted'), 'turns');
  figure('load_turns_failed', logs.length - byOutcome('done') - byOutcome('interrupted'), 'turns');
  figure('load_first_event_p50', firsts.p50, 'ms');
  figure('load_first_event_p95', firsts.p95, 'ms');
  figure('load_rate_limit_allowed', allowed, 'requests');
  figure('topology_cold_start', coldMs, 'ms');
  printFigures();
} finally {
  await Promise.all(pools.map((p) => p.end()));
  await topology.stop().catch(() => undefined);
  await dropDatabases(
    DB_URL,
    DATABASE_SERVICES.map((s) => databaseName(dbPrefix, s)),
  ).catch(() => undefined);
  dir.cleanup();
}
if (failedChecks) {
  console.error(`load: ${failedChecks} check(s) failed`);
  process.exit(1);
}

function ended(r: TurnResult): boolean {
  const e = r.events.at(-1)?.event;
  return e === 'done' || e === 'cancelled' || e === 'error' || e === 'http_error';
}

/** sendMessage, also telling which instance nginx chose (its X-Upstream header) before the events flow. */
async function sendMessageSeen(
  p: { token: string; conversationId: string },
  content: string,
  onEvent: Parameters<typeof sendMessage>[4],
  onUpstream: (upstream: string | undefined) => void,
): Promise<TurnResult> {
  const original = globalThis.fetch;
  const seen: typeof fetch = async (input, init) => {
    const res = await original(input, init);
    onUpstream(res.headers.get('x-upstream') ?? undefined);
    return res;
  };
  return sendMessage(topology.publicUrls.api, p.token, p.conversationId, content, onEvent, {}, seen);
}
