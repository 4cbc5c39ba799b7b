import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import { createRequire } from 'node:module';
import type { Logger } from './log.js';
import { createLogger } from './log.js';
import { EXIT, exitWith } from './exit-codes.js';
import { onShutdown, installLifecycle } from './lifecycle.js';
import { DatabaseUnavailableError } from './database-errors.js';
import { inRequestContext, requestIdOf, traceRequests } from './request-tracing.js';

export interface HttpServiceOptions {
  /** Service name: log tag and `/healthz` body. */
  name: string;
  host: string;
  port: number;
  logLevel?: string;
  logger?: Logger;
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  version?: string;
  fastify?: Omit<FastifyServerOptions, 'logger' | 'loggerInstance' | 'bodyLimit'>;
}

export interface HttpService {
  app: FastifyInstance;
  log: Logger;
  /** Listens; resolves with the bound URL. A taken port exits the process with one clear line (98). */
  listen(): Promise<string>;
}

/**
 * Fastify's JSON Schema compilers (ajv and fast-json-stringify, about 60 ms of module loading that Fastify
 * does when an instance is created), built only when a route first has a schema: ours validate with zod,
 * so normally never. They are Fastify's own defaults, resolved from Fastify's location, built the same way.
 */
function lazySchemaCompilers(): NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'] {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  type Factory = (...args: unknown[]) => unknown;
  let validator: Factory | undefined;
  let serializer: Factory | undefined;
  return {
    buildValidator: (...args: unknown[]) =>
      (validator ??= (fromFastify('@fastify/ajv-compiler') as () => Factory)())(...args) as never,
    buildSerializer: (...args: unknown[]) =>
      (serializer ??= (fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory)())(
        ...args,
      ) as never,
  };
}

/**
 * The HTTP bootstrap every service shares: Fastify with the JSON logger, `GET /healthz`, errors as
 * `{error, message}` with the right status, and graceful shutdown on SIGTERM/SIGINT or parent loss.
 */
export function createHttpService(opts: HttpServiceOptions): HttpService {
  const log = opts.logger ?? createLogger(opts.name, opts.logLevel);
  const app = Fastify({
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ...(opts.fastify as FastifyServerOptions),
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    // Request ids and trace ids reach every log line through the logger's mixin (log.ts), the same for
    // the request's logger and the service's: the request logger binds nothing of its own.
    genReqId: requestIdOf,
    childLoggerFactory: (logger, _bindings, options) => logger.child({}, options),
  }) as unknown as FastifyInstance;
  traceRequests(app);
  const started = Date.now();

  app.addHook('onResponse', (req, reply, done) => {
    if (req.url !== '/healthz') {
      inRequestContext(req, () =>
        log.debug(
          {
            method: req.method,
            url: req.url.split('?')[0],
            status: reply.statusCode,
            ms: Math.round(reply.elapsedTime),
          },
          'request',
        ),
      );
    }
    done();
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    service: opts.name,
    version: opts.version ?? '0.1.0',
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    /** Lets a supervisor tell its own child from another process that took the port. */
    pid: process.pid,
  }));

  app.setErrorHandler(
    (err: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
      if (err instanceof DatabaseUnavailableError) {
        req.log.warn({ err: err.message }, 'database unavailable');
        void reply
          .status(503)
          .header('retry-after', '2')
          .send({ error: 'unavailable', message: err.message });
        return;
      }
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) req.log.error({ err }, 'request failed');
      const error =
        status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : err.validation || status === 400
              ? 'invalid_request'
              : status === 404
                ? 'not_found'
                : status === 429
                  ? 'rate_limited'
                  : status >= 500
                    ? 'internal_error'
                    : 'request_failed';
      const message =
        status === 413
          ? `request body is larger than the limit of ${opts.bodyLimit ?? 1024 * 1024} bytes`
          : status >= 500
            ? 'internal error; see the service log'
            : err.message;
      void reply.status(status).send({ error, message });
    },
  );

  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  installLifecycle(log);
  onShutdown(() => app.close());

  return {
    app,
    log,
    async listen() {
      try {
        await app.listen({ host: opts.host, port: opts.port });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') {
          exitWith(
            opts.name,
            EXIT.portInUse,
            `port ${opts.port} on ${opts.host} is already in use; set PORT to a free port`,
          );
        }
        if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          exitWith(opts.name, EXIT.portInUse, `cannot listen on ${opts.host}:${opts.port} (${e.code})`);
        }
        throw err;
      }
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${port}`;
      // Milliseconds since this process started: the service's own share of a cold start.
      log.info({ url, startupMs: Math.round(performance.now()) }, 'listening');
      return url;
    },
  };
}
