/**
 * What tracing costs: the ticketing server started as a process without an OTLP endpoint (the desktop:
 * no OpenTelemetry code loads) and with one (the SDK, protobuf export to an in-process receiver), each
 * several times, reading the `startupMs` of its `listening` line; then `get_ticket` over MCP with a real
 * token against one server of each kind, interleaved, so the per-call cost of the spans (request, tool
 * call, each query) and their export shows as a difference of medians.
 */
import { join } from 'node:path';
import { freePort } from '@msi/kit';
import { startOtlpReceiver } from '../test/support/otlp-receiver.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { resourceToken, startIdp } from '../test/support/idp.js';
import { callTool, connectMcp } from '../test/support/mcp.js';
import { startService, type RunningService } from '../test/support/services.js';
import { figure, latencyFigures, printFigures, summarize } from './lib.js';

const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const N = Number(process.env.BENCH_CALLS ?? 300);

const data = tempDataDir('msi-bench-tracing-');
const stops: (() => Promise<void>)[] = [];
try {
  const otlp = await startOtlpReceiver();
  stops.push(() => otlp.close());
  // Both servers have one audience (PUBLIC_URL), as instances of one service; the first has its port.
  const port = await freePort();
  const audience = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ audiences: { ticketing: audience } });
  stops.push(() => idp.stop());
  const kinds = {
    off: {},
    otlp: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url },
  } as const;
  const start = (kind: keyof typeof kinds, dir: string, opts: { port?: number } = {}) =>
    startService(
      'ticketing',
      {
        MSI_DATA_DIR: join(data.dir, dir),
        IDP_ISSUER: idp.issuer,
        PUBLIC_URL: audience,
        LOG_LEVEL: 'info',
        ...kinds[kind],
      },
      opts,
    );
  const startupOf = (svc: RunningService) => Number(/"startupMs":(\d+)/.exec(svc.output())?.[1] ?? NaN);

  // Seeded once per kind, so that each timed start opens an existing store.
  for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) await (await start(kind, kind)).stop();
  const startup: Record<string, number[]> = { off: [], otlp: [] };
  for (let i = 0; i < STARTS; i++) {
    for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) {
      const svc = await start(kind, kind);
      startup[kind]!.push(startupOf(svc));
      await svc.stop();
    }
  }
  for (const kind of Object.keys(startup))
    figure(`startup_${kind}_p50_ms`, summarize(startup[kind]!).p50, 'ms');

  const servers = {
    off: await start('off', 'off', { port }),
    otlp: await start('otlp', 'otlp'),
  };
  stops.push(
    () => servers.off.stop(),
    () => servers.otlp.stop(),
  );
  const token = await resourceToken(idp.issuer, 'alex_agent', audience);
  const clients = {
    off: await connectMcp(`${servers.off.url}/mcp`, token),
    otlp: await connectMcp(`${servers.otlp.url}/mcp`, token),
  };
  stops.push(
    () => clients.off.close(),
    () => clients.otlp.close(),
  );
  const samples: Record<string, number[]> = { off: [], otlp: [] };
  for (let i = 0; i < N + 20; i++) {
    for (const kind of ['off', 'otlp'] as const) {
      const t = performance.now();
      const r = await callTool(clients[kind], 'search_tickets', { reporter: 'me', limit: 5 });
      if (r.isError) throw new Error(`search_tickets failed: ${JSON.stringify(r.content)}`);
      if (i >= 20) samples[kind]!.push(performance.now() - t);
    }
  }
  const off = latencyFigures('search_tickets_off', samples.off!);
  const on = latencyFigures('search_tickets_otlp', samples.otlp!);
  figure('search_tickets_tracing_overhead_p50_ms', on.p50 - off.p50, 'ms');
  figure('spans_exported', otlp.protobuf.length, 'exports');
  printFigures();
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  data.cleanup();
}
