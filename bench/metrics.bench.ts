/**
 * What monitoring costs (kit metrics.ts): the request hook's time per request, measured in one process as
 * the difference between two Fastify apps answering the same route through `inject` (one with the kit's
 * metrics, one without), interleaved; and a real service's GET /metrics (the organizations server after
 * 1000 requests): scrape latency and size.
 */
import Fastify from 'fastify';
import { serviceMetrics } from '@msi/kit';
import { tempDataDir } from '../test/support/data-dir.js';
import { startService } from '../test/support/services.js';
import { figure, latencyFigures, printFigures, summarize, timeMany } from './lib.js';

const N = Number(process.env.BENCH_CALLS ?? 10_000);

// In process: the hook's own cost.
const plain = Fastify();
const measured = Fastify();
serviceMetrics(measured);
for (const app of [plain, measured]) app.get('/items/:id', async () => ({ ok: true }));
await serviceMetrics(measured).registry.load();
const a: number[] = [];
const b: number[] = [];
for (let round = 0; round < 5; round++) {
  a.push(...(await timeMany(N / 5, (i) => plain.inject(`/items/${i}`), 200)));
  b.push(...(await timeMany(N / 5, (i) => measured.inject(`/items/${i}`), 200)));
}
const overheadUs = (summarize(b).p50 - summarize(a).p50) * 1000;
figure('request_p50_without_metrics_us', summarize(a).p50 * 1000, 'µs');
figure('request_p50_with_metrics_us', summarize(b).p50 * 1000, 'µs');
figure('metrics_hook_overhead_p50_us', overheadUs, 'µs');

// A real service.
const data = tempDataDir('msi-bench-metrics-');
const svc = await startService('organizations', {
  MSI_DATA_DIR: data.dir,
  IDP_ISSUER: 'http://127.0.0.1:9',
});
try {
  await timeMany(1000, (i) => fetch(`${svc.url}/nothing/${i}`).then((r) => r.arrayBuffer()));
  let size = 0;
  const scrapes = await timeMany(
    100,
    async () => {
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      size = text.length;
    },
    5,
  );
  latencyFigures('scrape', scrapes);
  figure('scrape_size_kb', size / 1024, 'KiB');
} finally {
  await svc.stop();
  data.cleanup();
}
printFigures();
