/**
 * Trace context for every service (docs/logging.md, docs/tracing.md): W3C `traceparent` in and out, a
 * span per request and per unit of work, and the ids every log line carries (log.ts's mixin reads
 * `logFields()`). The context lives in one AsyncLocalStorage of our own, so it works the same whether
 * or not spans are exported: without `OTEL_EXPORTER_OTLP_ENDPOINT` (the desktop) no OpenTelemetry
 * package is loaded at all — span ids are made here and nothing is recorded; with it, `startTracing`
 * loads the SDK and every span of ours is also an OpenTelemetry span, exported over OTLP/HTTP.
 *
 * OpenTelemetry's own context manager is not used: each span is started with its parent passed
 * explicitly, from our context, which is why no auto-instrumentation is needed either.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Span as OtelSpan, Tracer } from '@opentelemetry/api';

/** What the current unit of work is part of. */
export interface TraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** The current span: 16 lowercase hex digits. */
  spanId: string;
  sampled: boolean;
  /** The incoming `tracestate`, passed on unchanged. */
  tracestate?: string;
  /** The id of the HTTP request this work belongs to (x-request-id in, else made here). */
  requestId?: string;
  /** The exported span, when the SDK is on. */
  otel?: OtelSpan;
}

export type SpanKind = 'internal' | 'server' | 'client';
export type Attributes = Record<string, string | number | boolean | undefined>;

const store = new AsyncLocalStorage<TraceContext>();

let tracer: Tracer | undefined;
let otelApi: typeof import('@opentelemetry/api') | undefined;

/** True when spans are exported (the SDK is loaded). */
export const tracingEnabled = (): boolean => tracer !== undefined;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** W3C Trace Context, level 1: `version-traceid-parentid-flags`; anything malformed is ignored. */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; spanId: string; sampled: boolean } | undefined {
  if (!value) return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has exactly four fields (later versions may add more).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** The current context, if this code runs for a request or a span. */
export const currentTrace = (): TraceContext | undefined => store.getStore();

/** The fields log.ts adds to every line written inside a request or span (docs/logging.md). */
export function logFields(): Record<string, string> {
  const ctx = store.getStore();
  if (!ctx) return {};
  return ctx.requestId
    ? { trace_id: ctx.traceId, span_id: ctx.spanId, request_id: ctx.requestId }
    : { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/**
 * The headers that carry the current context to the next hop (an MCP server, the model provider):
 * `traceparent` naming the current span as parent, `tracestate` as received, and the request id.
 */
export function traceHeaders(): Record<string, string> {
  const ctx = store.getStore();
  if (!ctx) return {};
  return {
    traceparent: formatTraceparent(ctx),
    ...(ctx.tracestate ? { tracestate: ctx.tracestate } : {}),
    ...(ctx.requestId ? { 'x-request-id': ctx.requestId } : {}),
  };
}

/** A span of ours: its context (to run work in), and its end. */
export interface Span {
  readonly context: TraceContext;
  setAttributes(attributes: Attributes): void;
  /** Marks the span failed (a tool that answered an error) without throwing. */
  fail(message: string): void;
  /** Runs `fn` with this span as the current one (its logs, its children, its outgoing headers). */
  run<T>(fn: () => T): T;
  end(error?: unknown): void;
}

export interface StartSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The remote parent (an incoming traceparent) instead of the current context: server spans. */
  parent?: { traceId: string; spanId: string; sampled: boolean; tracestate?: string } | null;
  requestId?: string;
  /** false: a context with ids but nothing exported (health checks every few seconds). Default true. */
  record?: boolean;
}

const clean = (a: Attributes | undefined) =>
  Object.fromEntries(Object.entries(a ?? {}).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;

/**
 * Starts a span, child of the current context (or of `opts.parent`; `null`: a new trace). The caller
 * ends it; `inSpan` is the usual form.
 */
export function startSpan(name: string, opts: StartSpanOptions = {}): Span {
  const here = store.getStore();
  const parent = opts.parent === undefined ? here : (opts.parent ?? undefined);
  let ctx: TraceContext;
  let otel: OtelSpan | undefined;
  if (tracer && otelApi && opts.record !== false) {
    const { trace, ROOT_CONTEXT, SpanKind: Kind, TraceFlags } = otelApi;
    const parentCtx =
      parent && opts.parent === undefined && here?.otel
        ? trace.setSpan(ROOT_CONTEXT, here.otel)
        : parent
          ? trace.setSpanContext(ROOT_CONTEXT, {
              traceId: parent.traceId,
              spanId: parent.spanId,
              traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
              isRemote: true,
            })
          : ROOT_CONTEXT;
    const kind = opts.kind === 'server' ? Kind.SERVER : opts.kind === 'client' ? Kind.CLIENT : Kind.INTERNAL;
    otel = tracer.startSpan(name, { kind, attributes: clean(opts.attributes) }, parentCtx);
    const sc = otel.spanContext();
    ctx = {
      traceId: sc.traceId,
      spanId: sc.spanId,
      sampled: (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
      otel,
    };
  } else {
    // Nothing is recorded here; a new trace is marked sampled so that a next hop which exports keeps it.
    ctx = { traceId: parent?.traceId ?? hex(16), spanId: hex(8), sampled: parent?.sampled ?? true };
  }
  const tracestate = parent?.tracestate;
  if (tracestate) ctx.tracestate = tracestate;
  const requestId = opts.requestId ?? here?.requestId;
  if (requestId) ctx.requestId = requestId;
  let ended = false;
  return {
    context: ctx,
    setAttributes: (a) => otel?.setAttributes(clean(a)),
    fail(message) {
      otel?.setStatus({ code: otelApi!.SpanStatusCode.ERROR, message });
    },
    run: (fn) => store.run(ctx, fn),
    end(error) {
      if (ended) return;
      ended = true;
      if (!otel) return;
      if (error !== undefined) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof Error) otel.recordException(error);
        otel.setStatus({ code: otelApi!.SpanStatusCode.ERROR, message });
      }
      otel.end();
    },
  };
}

/** Runs `fn` in a new span (child of the current one), ended when `fn` settles; a throw marks it failed. */
export async function inSpan<T>(
  name: string,
  opts: Omit<StartSpanOptions, 'parent'>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = startSpan(name, opts);
  try {
    const out = await span.run(() => fn(span));
    span.end();
    return out;
  } catch (err) {
    span.end(err);
    throw err;
  }
}

export interface TracingConfig {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL?: 'http/protobuf' | 'http/json' | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

/**
 * With an OTLP endpoint configured, loads the OpenTelemetry SDK and exports every span (batched) to
 * `<endpoint>/v1/traces` (or the traces endpoint as given); returns the flush-and-stop to run at
 * shutdown. Without one it loads nothing and returns undefined.
 */
export async function startTracing(
  service: string,
  cfg: TracingConfig,
  version = '0.1.0',
): Promise<(() => Promise<void>) | undefined> {
  const url =
    cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (cfg.OTEL_EXPORTER_OTLP_ENDPOINT ? `${cfg.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` : undefined);
  if (!url) return undefined;
  const [api, { BasicTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }, exporters] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      cfg.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json'
        ? import('@opentelemetry/exporter-trace-otlp-http')
        : import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
  // Headers (OTEL_EXPORTER_OTLP_HEADERS), timeouts and the batch settings (OTEL_BSP_*) are the
  // exporter's and processor's own environment variables.
  const exporter = new exporters.OTLPTraceExporter({ url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': cfg.OTEL_SERVICE_NAME ?? `msi-${service}`,
      'service.version': version,
      'process.pid': process.pid,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  otelApi = api;
  tracer = provider.getTracer('msi', version);
  return async () => {
    await provider.forceFlush().catch(() => undefined);
    await provider.shutdown().catch(() => undefined);
    tracer = undefined;
  };
}
