/**
 * Ticketing MCP latency with 100k tickets, on SQLite and (when a test server answers, see
 * test/support/database.ts) PostgreSQL in the same run: seed each store with the CLI (a temp data dir; a
 * fresh database), start the real IDP and one real server per backend, and time get_ticket and
 * search_tickets over HTTP with the SDK Client and a real token, interleaved; in the same run, the same
 * client against a minimal SDK server with a no-op tool (the floor), so the overhead of our auth and
 * storage shows as a ratio. `search_common` is a word most tickets have ("camera", about a third).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { freePort, prng } from '@msi/kit';
import { tempDataDir } from '../test/support/data-dir.js';
import { backends, freshDatabase, type Backend } from '../test/support/database.js';
import { resourceToken, startIdp } from '../test/support/idp.js';
import { callTool, connectMcp } from '../test/support/mcp.js';
import { ROOT, startService } from '../test/support/services.js';
import { figure, printFigures, summarize, timeMany } from './lib.js';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const N = Number(process.env.BENCH_CALLS ?? 300);

async function callOk(client: Client, name: string, args: Record<string, unknown>) {
  const r = await callTool(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r;
}

const data = tempDataDir('msi-bench-ticketing-');
const stops: (() => Promise<void>)[] = [];
const BACKENDS: Backend[] = process.env.BENCH_BACKENDS
  ? (process.env.BENCH_BACKENDS.split(',') as Backend[])
  : backends();
try {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Tokens that outlive the run: seeding and a few thousand calls take longer than the default 5 min.
  const idp = await startIdp({ audiences: { ticketing: url }, env: { IDP_EXCHANGED_TOKEN_TTL: '3600' } });
  stops.push(() => idp.stop());
  const servers: Partial<Record<Backend, string>> = {};
  const seedMs: Partial<Record<Backend, number>> = {};
  for (const backend of BACKENDS) {
    const env: Record<string, string> = { MSI_DATA_DIR: join(data.dir, backend) };
    if (backend === 'postgres') {
      const db = await freshDatabase('bench_ticketing');
      stops.push(() => db.drop());
      env.DATABASE_URL = db.url;
    }
    console.log(`seeding ${TICKETS} tickets (${backend}) …`);
    const t0 = performance.now();
    const seed = spawnSync(
      process.execPath,
      [join(ROOT, 'services/ticketing'), 'seed', '--tickets', String(TICKETS)],
      { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
    );
    if (seed.status !== 0) throw new Error(`seed failed: ${seed.stderr}`);
    seedMs[backend] = Number(/in (\d+) ms/.exec(seed.stdout)?.[1] ?? performance.now() - t0);
    console.log(`  ${seed.stdout.trim()}`);
    // Every server has the same audience (PUBLIC_URL), as instances of one service; the first has its port.
    const svc = await startService(
      'ticketing',
      { ...env, IDP_ISSUER: idp.issuer, PUBLIC_URL: url },
      backend === BACKENDS[0] ? { port } : {},
    );
    stops.push(() => svc.stop());
    servers[backend] = svc.url;
  }

  const floor = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/support/mcp-floor.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stops.push(async () => {
    floor.kill('SIGTERM');
    await new Promise((r) => floor.once('exit', r));
  });
  const floorUrl = await new Promise<string>((resolve, reject) => {
    floor.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    floor.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });

  // A supervisor sees all 100k tickets: the largest result sets. An agent's view is filtered by org.
  const tokens: Record<string, string> = {};
  for (const user of ['sam_supervisor', 'alex_agent'])
    tokens[user] = await resourceToken(idp.issuer, user, url);
  const noop = await connectMcp(floorUrl, undefined, 'bench');
  stops.push(() => noop.close());
  const clients: Partial<Record<Backend, { sam: Client; alex: Client }>> = {};
  for (const backend of BACKENDS) {
    const sam = await connectMcp(`${servers[backend]}/mcp`, tokens.sam_supervisor, 'bench');
    const alex = await connectMcp(`${servers[backend]}/mcp`, tokens.alex_agent, 'bench');
    stops.push(async () => {
      await Promise.allSettled([sam.close(), alex.close()]);
    });
    clients[backend] = { sam, alex };
  }

  const r = prng(7);
  const numbers = Array.from({ length: N + 20 }, () => `TCK-${1001 + r.int(0, TICKETS - 1)}`);
  const queries: Record<string, unknown>[] = [
    { text: 'firmware update failed' },
    { text: 'dock offline', status: ['open', 'in_progress'] },
    { text: 'SAML certificate' },
    { text: 'Aware alerts dispatch', org: 'Dallas Police Department' },
    { text: 'camera' },
    { status: 'open', priority: ['high', 'urgent'] },
    { org: 'houston-police', assignee: 'none' },
    { text: 'evidence sharing link expired', limit: 50 },
  ];
  const COMMON = { text: 'camera' };

  // Interleaved, one call of each kind per round, so a busy machine slows them all alike.
  const kinds: Record<string, (i: number) => Promise<unknown>> = { floor: () => callOk(noop, 'noop', {}) };
  for (const backend of BACKENDS) {
    const { sam, alex } = clients[backend]!;
    kinds[`${backend}.get`] = (i) => callOk(sam, 'get_ticket', { number: numbers[i]! });
    kinds[`${backend}.search`] = (i) => callOk(sam, 'search_tickets', queries[i % queries.length]!);
    kinds[`${backend}.agentSearch`] = (i) => callOk(alex, 'search_tickets', queries[i % queries.length]!);
    kinds[`${backend}.common`] = () => callOk(sam, 'search_tickets', COMMON);
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let i = -20; i < N; i++) {
    for (const [kind, fn] of Object.entries(kinds)) {
      const [ms] = await timeMany(1, () => fn(i + 20));
      if (i >= 0) samples[kind]!.push(ms!);
    }
  }
  const floorMs = summarize(samples.floor!);
  console.log(`ticketing MCP over HTTP, ${TICKETS} tickets, ${N} calls each (SDK Client, real token):`);
  figure('ticketing.mcp_floor_noop_p50', floorMs.p50, 'ms');
  figure('ticketing.mcp_floor_noop_p95', floorMs.p95, 'ms');
  for (const backend of BACKENDS) {
    const worst = await callOk(clients[backend]!.sam, 'search_tickets', COMMON);
    console.log(
      `  ${backend}: search "camera" as supervisor: ${(worst.structuredContent as { total: number }).total} matches`,
    );
    // SQLite keeps the figure names it always had; PostgreSQL's carry `.postgres`.
    const p = backend === 'sqlite' ? 'ticketing' : `ticketing.${backend}`;
    figure(`${p}.seed_ms`, seedMs[backend]!, 'ms');
    const getMs = summarize(samples[`${backend}.get`]!);
    const searchMs = summarize(samples[`${backend}.search`]!);
    for (const [name, ms] of [
      ['get_ticket', getMs],
      ['search_tickets', searchMs],
      ['search_tickets_agent', summarize(samples[`${backend}.agentSearch`]!)],
      ['search_tickets_common_word', summarize(samples[`${backend}.common`]!)],
    ] as const) {
      figure(`${p}.${name}_p50`, ms.p50, 'ms');
      figure(`${p}.${name}_p95`, ms.p95, 'ms');
    }
    figure(`${p}.get_ticket_p50_over_floor`, getMs.p50 / floorMs.p50, 'x');
    figure(`${p}.search_tickets_p50_over_floor`, searchMs.p50 / floorMs.p50, 'x');
  }
  printFigures();
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  data.cleanup();
}
