/**
 * The local stack: cold start to "all ready" (every health endpoint answering) next to the floor —
 * the same number of bare Node processes spawned the same way (at once, each a tiny health server,
 * polled the same way) — and the resident memory of each service once ready.
 * Needs `npx tsc -b tsconfig.build.json` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHealthy } from '@msi/kit';
import { devLayout } from '../main/src/node/layout.js';
import { SERVICE_NAMES } from '../main/src/node/supervisor/services.js';
import { Supervisor } from '../main/src/node/supervisor/supervisor.js';
import { figure, printFigures, summarize } from './lib.js';

const RUNS = 3;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function startStack(dataDir: string) {
  const s = new Supervisor({
    dataDir,
    layout: devLayout(),
    rendererOrigin: 'http://127.0.0.1:4200',
    apiClientSecret: 'bench-client-secret-0123456789abcdef',
    model: { provider: 'offline', model: 'gpt-4o-mini', baseUrl: '' },
  });
  const t = performance.now();
  await s.start();
  await s.whenReady(120_000);
  return { s, ms: performance.now() - t };
}

/** The floor: N bare Node processes, spawned at once, each answering a health check, polled the same way. */
async function floor(n: number): Promise<number> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const t = performance.now();
  const procs = ports.map((port) =>
    spawn(
      process.execPath,
      ['-e', `require('http').createServer((q,r)=>r.end('ok')).listen(${port},'127.0.0.1')`],
      { stdio: 'ignore' },
    ),
  );
  await Promise.all(ports.map((p) => waitForHealthy(`http://127.0.0.1:${p}/`, { intervalMs: 40 })));
  const ms = performance.now() - t;
  await Promise.all(procs.map((p) => new Promise((r) => (p.kill('SIGTERM'), p.once('exit', r)))));
  return ms;
}

async function bareExit(n: number): Promise<number> {
  const t = performance.now();
  await Promise.all(
    Array.from(
      { length: n },
      () => new Promise((r) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).once('exit', r)),
    ),
  );
  return performance.now() - t;
}

const dir = mkdtempSync(join(tmpdir(), 'msi-bench-stack-'));
try {
  const first = await startStack(dir);
  await first.s.stop();
  console.log(
    `first start on a fresh data dir (seeding, key generation, docs ingestion start): ${Math.round(first.ms)} ms`,
  );
  figure('stack.first_start_ms', first.ms, 'ms');

  const starts: number[] = [];
  let rss: Record<string, number> = {};
  for (let i = 0; i < RUNS; i++) {
    const { s, ms } = await startStack(dir);
    starts.push(ms);
    if (i === RUNS - 1) {
      rss = Object.fromEntries(s.status().map((st) => [st.name, rssKb(st.pid!) / 1024]));
    }
    await s.stop();
  }
  const floors: number[] = [];
  const exits: number[] = [];
  for (let i = 0; i < RUNS; i++) floors.push(await floor(SERVICE_NAMES.length));
  for (let i = 0; i < RUNS; i++) exits.push(await bareExit(SERVICE_NAMES.length));

  const st = summarize(starts);
  const fl = summarize(floors);
  console.log(
    `cold start to all ready (existing data dir, ${RUNS} runs): p50 ${Math.round(st.p50)} ms (min ${Math.round(st.min)}, max ${Math.round(st.max)})`,
  );
  console.log(
    `floor: ${SERVICE_NAMES.length} bare node health servers spawned at once: p50 ${Math.round(fl.p50)} ms; ${SERVICE_NAMES.length}× node -e 0 to exit: p50 ${Math.round(summarize(exits).p50)} ms`,
  );
  figure('stack.cold_start_p50_ms', st.p50, 'ms');
  figure('stack.floor_bare_node_health_p50_ms', fl.p50, 'ms');
  figure('stack.floor_node_e0_exit_p50_ms', summarize(exits).p50, 'ms');
  figure('stack.cold_start_over_floor_ratio', st.p50 / fl.p50, 'x');
  let total = 0;
  for (const name of SERVICE_NAMES) {
    figure(`stack.rss_${name}_mb`, rss[name]!, 'MB');
    total += rss[name]!;
  }
  figure('stack.rss_total_mb', total, 'MB');
  printFigures();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
