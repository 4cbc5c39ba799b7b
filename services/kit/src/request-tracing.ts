/**
 * Every HTTP request of a service runs in a server span (tracing.ts): continued from the caller's
 * `traceparent`, named by its route, with a request id (a valid incoming `x-request-id`, e.g. nginx's
 * `$request_id` or the API's own when it calls an MCP server, else a new one) that is echoed in the
 * answer. Its handlers, and every log line they write, run in that span's context.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseTraceparent, startSpan, type Span } from './tracing.js';

/** Request ids we accept from a caller: short and printable, nothing a log line could be forged with. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's x-request-id when it is a sane one, else a new UUID. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

interface Traced {
  span: Span;
  /** The request's async context: Fastify runs later hooks and the handler from the body's events. */
  resource: AsyncResource;
}
const traced = new WeakMap<FastifyRequest, Traced>();

/** A load balancer's and Prometheus's polls: ids for their log lines, but no spans in the traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** Runs `fn` in the request's span context (hooks that Fastify calls from the response's events). */
export function inRequestContext<T>(req: FastifyRequest, fn: () => T): T {
  const t = traced.get(req);
  return t ? t.span.run(fn) : fn();
}

export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const header = req.headers.traceparent;
    const parent = parseTraceparent(typeof header === 'string' ? header : undefined);
    const state = req.headers.tracestate;
    const path = req.url.split('?')[0]!;
    const span = startSpan(`${req.method} ${req.routeOptions.url ?? path}`, {
      kind: 'server',
      parent: parent ? { ...parent, ...(typeof state === 'string' ? { tracestate: state } : {}) } : null,
      requestId: req.id,
      record: !UNTRACED.has(path),
      attributes: {
        'http.request.method': req.method,
        'url.path': path,
        'http.route': req.routeOptions.url,
        'msi.request_id': req.id,
      },
    });
    void reply.header('x-request-id', req.id);
    // The raw response's close: after an answer, a hijacked one (MCP, event streams) or a hang-up alike.
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      span.setAttributes({ 'http.response.status_code': status });
      const failed = status >= 500 || !reply.raw.writableFinished;
      span.end(
        failed
          ? new Error(reply.raw.writableFinished ? `HTTP ${status}` : 'closed before the answer was complete')
          : undefined,
      );
    });
    span.run(() => {
      const resource = new AsyncResource('msi-request');
      traced.set(req, { span, resource });
      resource.runInAsyncScope(done);
    });
  });
  // The body is read from the socket's events, in the socket's context: re-enter the request's.
  app.addHook('preValidation', (req, _reply, done) => {
    const t = traced.get(req);
    if (t) t.resource.runInAsyncScope(done);
    else done();
  });
}
