/**
 * The host: serves the built renderer (with SPA fallback to index.html for client routes such as
 * /auth/callback) and `/config.json` on 127.0.0.1, every answer under a strict Content-Security-Policy;
 * in browser mode also the HostService over HTTP (host-api.ts), guarded by the per-run secret.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { contentSecurityPolicy } from '../../common/csp.js';
import {
  HOST_METHODS,
  type HostService,
  type RendererConfig,
  type ServiceStatus,
} from '../../common/host-api.js';
import { isHostMethod } from '../../common/ipc.js';

export interface HostOptions {
  rendererDir: string;
  config: () => RendererConfig;
  /** Present in browser mode: the HostService served under /host/, guarded by `secret`. */
  http?: {
    service: HostService;
    secret: string;
    subscribe: (listener: (status: ServiceStatus[]) => void) => () => void;
  };
}

/** An error whose message is meant for the caller (bad arguments, a refused setting): answered 400. */
export class HostRequestError extends Error {
  readonly statusCode = 400;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function createHost(opts: HostOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  const built = existsSync(join(opts.rendererDir, 'index.html'));

  // DNS-rebinding protection: a page whose name an attacker points at 127.0.0.1 must not get
  // /config.json (with the host secret) or anything else; only loopback names are this app.
  app.addHook('onRequest', async (req, reply) => {
    const name = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (!LOOPBACK_NAMES.has(name)) {
      return reply.status(421).send({
        error: 'misdirected_request',
        message: `host ${req.headers.host ?? '(none)'} is not served here; use 127.0.0.1 or localhost`,
      });
    }
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    const cfg = opts.config();
    void reply.header('Content-Security-Policy', contentSecurityPolicy(cfg));
    void reply.header('X-Content-Type-Options', 'nosniff');
    void reply.header('Referrer-Policy', 'no-referrer');
    void reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    return payload;
  });

  app.get('/config.json', async (_req, reply) => {
    void reply.header('Cache-Control', 'no-store');
    return opts.config();
  });

  if (opts.http) registerHostApi(app, opts.http);

  if (built) {
    void app.register(fastifyStatic, {
      root: opts.rendererDir,
      index: 'index.html',
      setHeaders: (res, path) => {
        if (path.endsWith('.html')) void res.header('Cache-Control', 'no-cache');
      },
    });
  }

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const isPage =
      (req.method === 'GET' || req.method === 'HEAD') &&
      !path.startsWith('/host/') &&
      !/\.[a-z0-9]+$/i.test(path);
    if (!isPage)
      return reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${path}` });
    if (!built) return notBuilt(reply, opts.rendererDir);
    void reply.header('Cache-Control', 'no-cache');
    return reply.sendFile('index.html');
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    void reply.status(status).send({
      error: status === 400 ? 'invalid_request' : status === 401 ? 'unauthorized' : 'internal_error',
      message: err.message,
    });
  });
  return app;
}

function registerHostApi(app: FastifyInstance, http: NonNullable<HostOptions['http']>): void {
  const expected = Buffer.from(http.secret);
  const authorized = (given: unknown) => {
    if (typeof given !== 'string') return false;
    const b = Buffer.from(given);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  const refuse = (reply: FastifyReply) =>
    reply.status(401).send({
      error: 'unauthorized',
      message: 'missing or wrong X-Host-Secret (see /config.json host.secret)',
    });

  app.post<{ Params: { method: string }; Body: { args?: unknown } }>('/host/:method', async (req, reply) => {
    if (!authorized(req.headers['x-host-secret'])) return refuse(reply);
    const method = req.params.method;
    if (!isHostMethod(method)) {
      return reply
        .status(404)
        .send({ error: 'not_found', message: `no host method ${method} (have: ${HOST_METHODS.join(', ')})` });
    }
    const args = req.body?.args ?? [];
    if (!Array.isArray(args)) throw new HostRequestError('the body must be {"args": [...]}');
    const fn = http.service[method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(http.service, args);
    return { result: result ?? null };
  });

  app.get<{ Querystring: { secret?: string } }>('/host/events', (req, reply) => {
    if (!authorized(req.query.secret ?? req.headers['x-host-secret'])) return refuse(reply);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'Content-Security-Policy': "default-src 'none'",
    });
    const send = (status: ServiceStatus[]) => res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
    void http.service.getStatus().then(send);
    const unsubscribe = http.subscribe(send);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.raw.once('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  });
}

function notBuilt(reply: FastifyReply, dir: string) {
  return reply
    .status(503)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MSI Assistant — renderer not built</title></head>` +
        `<body><h1>The renderer is not built yet</h1><p>Nothing at <code>${escapeHtml(dir)}</code>. Run ` +
        `<code>npm run build -w renderer</code> (or <code>npm run build</code>) and reload this page. ` +
        `The services and <code>/config.json</code> are running.</p></body></html>`,
    );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
