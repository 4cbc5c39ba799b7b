/**
 * The default export (OTLP/HTTP protobuf) from a real service: the ticketing server started as a process
 * with OTEL_EXPORTER_OTLP_ENDPOINT at an in-process receiver. A request with a traceparent is exported
 * as a span of that trace, under the service's name; health checks are not exported at all.
 * (services/api/test/tracing.test.ts follows a whole turn, decoded, over http/json.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/support/otlp-receiver.js';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';

let otlp: OtlpReceiver;
let svc: RunningService;
let dir: ReturnType<typeof tempDataDir>;
beforeAll(async () => {
  otlp = await startOtlpReceiver();
  dir = tempDataDir('msi-otlp-');
  svc = await startService('ticketing', {
    MSI_DATA_DIR: dir.dir,
    IDP_ISSUER: 'http://127.0.0.1:9',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
});
afterAll(async () => {
  await svc?.stop();
  await otlp?.close();
  dir?.cleanup();
});

it('exports a request’s span over protobuf in the caller’s trace, and no health check', async () => {
  const health = '1f2e3d4c5b6a79881f2e3d4c5b6a7988';
  const traced = 'a0b1c2d3e4f5061728394a5b6c7d8e9f';
  const at = (trace: string) => ({ traceparent: `00-${trace}-b7ad6b7169203331-01` });
  expect((await fetch(`${svc.url}/healthz`, { headers: at(health) })).status).toBe(200);
  const res = await fetch(`${svc.url}/mcp`, {
    method: 'POST',
    headers: { ...at(traced), 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(401);

  const id = Buffer.from(traced, 'hex');
  const bodies = await otlp.waitForProtobuf((all) => all.some((b) => b.includes(id)));
  const body = bodies.find((b) => b.includes(id))!;
  expect(body.includes(Buffer.from('POST /mcp'))).toBe(true);
  expect(body.includes(Buffer.from('msi-ticketing'))).toBe(true);
  // The caller's span is the parent: its 8 bytes are in the export too.
  expect(body.includes(Buffer.from('b7ad6b7169203331', 'hex'))).toBe(true);
  // The health check ended first, so it would be in this export or an earlier one.
  expect(bodies.some((b) => b.includes(Buffer.from(health, 'hex')))).toBe(false);
  expect(otlp.rejected).toEqual([]);
});
