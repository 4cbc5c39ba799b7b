/**
 * An OTLP/HTTP trace receiver (test code only): `POST /v1/traces` with the JSON encoding of an
 * ExportTraceServiceRequest (what the services send with OTEL_EXPORTER_OTLP_PROTOCOL=http/json), flattened
 * into spans with their service name; protobuf exports (the default protocol) are kept as bytes, in
 * which a test can find a trace id's 16 bytes and a span's name. `waitFor` resolves once the spans received satisfy a condition (or
 * fails after a timeout with what did arrive), so a test waits on the export, not on a clock.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

export interface OtlpReceiver {
  /** The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** The bodies of protobuf exports (http/protobuf, the default protocol), undecoded. */
  protobuf: Buffer[];
  /** Exports that were neither (content type and path), for failure messages. */
  rejected: string[];
  /** Resolves once a protobuf export satisfies `done`. */
  waitForProtobuf(done: (bodies: Buffer[]) => boolean, timeoutMs?: number): Promise<Buffer[]>;
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

const valueOf = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));
const attrs = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
/** OTLP/JSON carries ids as hex; base64 (protobuf's JSON mapping) is accepted too. */
const id = (v: string | undefined) =>
  !v ? '' : /^[0-9a-f]+$/i.test(v) ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const protobuf: Buffer[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/v1/traces' && type.startsWith('application/x-protobuf')) {
        protobuf.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        for (const w of waiters) w();
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !type.startsWith('application/json')) {
        rejected.push(`${req.method} ${req.url} ${type}`);
        res.writeHead(415).end();
        return;
      }
      const doc = JSON.parse(body) as {
        resourceSpans?: {
          resource?: { attributes?: KeyValue[] };
          scopeSpans?: {
            spans?: {
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              name: string;
              kind: number;
              attributes?: KeyValue[];
              status?: { code?: number };
            }[];
          }[];
        }[];
      };
      for (const rs of doc.resourceSpans ?? []) {
        const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              traceId: id(s.traceId),
              spanId: id(s.spanId),
              parentSpanId: id(s.parentSpanId),
              name: s.name,
              kind: s.kind,
              attributes: attrs(s.attributes),
              status: s.status?.code ?? 0,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  /** Resolves with `value` once `ok()` holds after an export arrived (or at once), rejects after the timeout. */
  const whenTrue = <T>(ok: () => boolean, value: T, timeoutMs: number, why: () => string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!ok()) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(why()));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    protobuf,
    rejected,
    waitForProtobuf: (done, timeoutMs = 20_000) =>
      whenTrue(
        () => done(protobuf),
        protobuf,
        timeoutMs,
        () => `no matching protobuf export in ${timeoutMs} ms (${protobuf.length} received)`,
      ),
    waitFor: (done, timeoutMs = 20_000) =>
      whenTrue(
        () => done(spans),
        spans,
        timeoutMs,
        () =>
          `spans did not arrive in ${timeoutMs} ms; got ${spans.map((s) => `${s.service}:${s.name}`).join(', ') || 'none'}${rejected.length ? `; rejected ${rejected.join(', ')}` : ''}`,
      ),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
