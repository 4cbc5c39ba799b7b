/**
 * Ticketing MCP latency with 100k tickets: seed them with the CLI into a temp data dir, start the real
 * IDP and the real server, and time get_ticket and search_tickets over HTTP with the SDK Client and a
 * real token; in the same run, the same client against a minimal SDK server with a no-op tool (the
 * floor), so the overhead of our auth and storage shows as a ratio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { freePort, prng } from '@msi/kit';
import { tempDataDir } from '../test/support/data-dir.js';
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
try {
  console.log(`seeding ${TICKETS} tickets …`);
  const t0 = performance.now();
  const seed = spawnSync(
    process.execPath,
    [join(ROOT, 'services/ticketing'), 'seed', '--tickets', String(TICKETS)],
    {
      env: { PATH: process.env.PATH, MSI_DATA_DIR: data.dir },
      encoding: 'utf8',
    },
  );
  if (seed.status !== 0) throw new Error(`seed failed: ${seed.stderr}`);
  const seedMs = Number(/in (\d+) ms/.exec(seed.stdout)?.[1] ?? performance.now() - t0);
  console.log(`  ${seed.stdout.trim()}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ audiences: { ticketing: url } });
  stops.push(() => idp.stop());
  const ticketing = await startService(
    'ticketing',
    { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.issuer },
    { port },
  );
  stops.push(() => ticketing.stop());

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
  const sam = await connectMcp(`${url}/mcp`, tokens.sam_supervisor, 'bench');
  const alex = await connectMcp(`${url}/mcp`, tokens.alex_agent, 'bench');
  const noop = await connectMcp(floorUrl, undefined, 'bench');
  stops.push(async () => {
    await Promise.allSettled([sam.close(), alex.close(), noop.close()]);
  });

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

  // Interleaved, one call of each kind per round, so a busy machine slows them all alike.
  const kinds: Record<string, (i: number) => Promise<unknown>> = {
    floor: () => callOk(noop, 'noop', {}),
    get: (i) => callOk(sam, 'get_ticket', { number: numbers[i]! }),
    search: (i) => callOk(sam, 'search_tickets', queries[i % queries.length]!),
    agentSearch: (i) => callOk(alex, 'search_tickets', queries[i % queries.length]!),
  };
  const samples: Record<string, number[]> = { floor: [], get: [], search: [], agentSearch: [] };
  for (let i = -20; i < N; i++) {
    for (const [kind, fn] of Object.entries(kinds)) {
      const [ms] = await timeMany(1, () => fn(i + 20));
      if (i >= 0) samples[kind]!.push(ms!);
    }
  }
  const floorMs = summarize(samples.floor!);
  const getMs = summarize(samples.get!);
  const searchMs = summarize(samples.search!);
  const agentSearchMs = summarize(samples.agentSearch!);
  const worst = await callOk(sam, 'search_tickets', { text: 'camera' });
  console.log(
    `  search "camera" as supervisor: ${(worst.structuredContent as { total: number }).total} matches`,
  );

  console.log(`ticketing MCP over HTTP, ${TICKETS} tickets, ${N} calls each (SDK Client, real token):`);
  figure('ticketing.seed_ms', seedMs, 'ms');
  for (const [name, ms] of [
    ['mcp_floor_noop', floorMs],
    ['get_ticket', getMs],
    ['search_tickets', searchMs],
    ['search_tickets_agent', agentSearchMs],
  ] as const) {
    figure(`ticketing.${name}_p50`, ms.p50, 'ms');
    figure(`ticketing.${name}_p95`, ms.p95, 'ms');
  }
  figure('ticketing.get_ticket_p50_over_floor', getMs.p50 / floorMs.p50, 'x');
  figure('ticketing.search_tickets_p50_over_floor', searchMs.p50 / floorMs.p50, 'x');
  printFigures();
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  data.cleanup();
}
