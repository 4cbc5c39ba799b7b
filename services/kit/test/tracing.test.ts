/**
 * The trace context without an exporter (the desktop): W3C traceparent parsing by the spec's rules,
 * child spans in the same trace, the headers for the next hop, the ids on log lines, and the OTEL_*
 * variables' validation.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  baseSpec,
  createLogger,
  currentTrace,
  formatTraceparent,
  inSpan,
  logFields,
  parseConfig,
  parseTraceparent,
  startSpan,
  startTracing,
  traceHeaders,
  tracingEnabled,
} from '../src/index.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('reads valid headers and ignores malformed ones', () => {
    expect(parseTraceparent(`00-${T}-${S}-01`)).toEqual({ traceId: T, spanId: S, sampled: true });
    expect(parseTraceparent(`00-${T}-${S}-00`)?.sampled).toBe(false);
    // A later version may add fields; version 00 may not.
    expect(parseTraceparent(`01-${T}-${S}-01-extra`)?.traceId).toBe(T);
    for (const bad of [
      undefined,
      '',
      `00-${T}-${S}-01-extra`,
      `ff-${T}-${S}-01`,
      `00-${'0'.repeat(32)}-${S}-01`,
      `00-${T}-${'0'.repeat(16)}-01`,
      `00-${T.toUpperCase()}-${S}-01`,
      `00-${T.slice(1)}-${S}-01`,
      'garbage',
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
    expect(formatTraceparent({ traceId: T, spanId: S, sampled: true })).toBe(`00-${T}-${S}-01`);
  });
});

describe('spans without an exporter', () => {
  it('loads nothing when no endpoint is set', async () => {
    expect(await startTracing('test', {})).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
  });

  it('continues the caller’s trace with spans of its own, passed on to the next hop and the logs', async () => {
    expect(currentTrace()).toBeUndefined();
    expect(traceHeaders()).toEqual({});
    expect(logFields()).toEqual({});
    const server = startSpan('GET /x', {
      kind: 'server',
      parent: { traceId: T, spanId: S, sampled: true },
      requestId: 'req-1',
    });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(
      'test',
      'info',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    await server.run(() =>
      inSpan('turn', {}, async (turn) => {
        expect(turn.context.traceId).toBe(T);
        expect(turn.context.spanId).toMatch(/^[0-9a-f]{16}$/);
        expect(turn.context.spanId).not.toBe(server.context.spanId);
        expect(traceHeaders()).toEqual({
          traceparent: `00-${T}-${turn.context.spanId}-01`,
          'x-request-id': 'req-1',
        });
        // Work started here and finished later keeps its context.
        await new Promise((r) => setTimeout(r, 1));
        log.info({ extra: 1 }, 'inside');
        expect(lines.at(-1)).toMatchObject({
          trace_id: T,
          span_id: turn.context.spanId,
          request_id: 'req-1',
          extra: 1,
          msg: 'inside',
        });
      }),
    );
    log.info('outside');
    expect(lines.at(-1)).not.toHaveProperty('trace_id');
    // A new trace (no traceparent) is marked sampled, so that a next hop that exports keeps it.
    const root = startSpan('GET /y', { kind: 'server', parent: null });
    expect(root.context.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.context.traceId).not.toBe(T);
    expect(root.context.sampled).toBe(true);
  });

  it('fails a span whose work throws, and rethrows', async () => {
    await expect(
      inSpan('x', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('OTEL_* variables', () => {
  const spec = baseSpec(1);
  it('defaults to no export, protobuf when exporting', () => {
    const cfg = parseConfig(spec, {});
    expect(cfg.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(cfg.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(
      parseConfig(spec, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })
        .OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBe('http://collector:4318');
  });
  it('names the variable that is wrong', () => {
    expect(() => parseConfig(spec, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      new ConfigError('OTEL_EXPORTER_OTLP_PROTOCOL', 'one of http/protobuf, http/json', 'grpc'),
    );
    expect(() => parseConfig(spec, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL when set/,
    );
  });
});
