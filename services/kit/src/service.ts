/**
 * Start-up, the same for every service: read the config, open the data store, build the routes, listen,
 * log `listening` with startupMs, and shut down gracefully (the HTTP server first, then the data store).
 * What cannot work ends the process with one line on stderr and the code of the kit's table
 * (exit-codes.ts): a bad variable 78, an unusable data dir 74, a taken port 98; anything else is a crash
 * (its stack trace, 1).
 */
import type { FastifyInstance } from 'fastify';
import { ConfigError } from './config.js';
import { EXIT, exitWith } from './exit-codes.js';
import { createHttpService, type HttpServiceOptions } from './http.js';
import { installLifecycle, onShutdown } from './lifecycle.js';
import { createLogger, type Logger } from './log.js';
import { DataDirError } from './sqlite.js';
import { DatabaseUnavailableError } from './database-errors.js';
import { startTracing, type TracingConfig } from './tracing.js';

/** What start-up reads from every service's config (the kit's `baseSpec`). */
export interface ServiceBaseConfig extends TracingConfig {
  HOST: string;
  PORT: number;
  LOG_LEVEL: string;
  /** The kit's baseSpec: load balancers whose forwarding headers are believed. */
  TRUST_PROXY?: string[];
}

/** Runs once the service listens, with its bound URL: background work, warm-up, a ready line. */
export type AfterListen = (url: string) => void;

export interface ServiceDefinition<C extends ServiceBaseConfig, D> {
  /** Log tag, stderr prefix and `/healthz` service name. */
  name: string;
  version?: string;
  /** Reads the environment (the service's `config.ts`); throws ConfigError for a bad variable. */
  config(env: NodeJS.ProcessEnv): C;
  /** HTTP options beyond host, port and logger. */
  http?: Pick<HttpServiceOptions, 'bodyLimit' | 'fastify'>;
  /** Opens the data store (seeding a fresh one); throws DataDirError when it cannot be used. */
  open(cfg: C, log: Logger): D | Promise<D>;
  /** Closes what `open` returned, after the HTTP server has closed. Default: its `close()`, if any. */
  close?(data: D): unknown;
  /** Registers the routes; may return what to do once listening. */
  build(service: {
    cfg: C;
    data: D;
    app: FastifyInstance;
    log: Logger;
  }): AfterListen | void | Promise<AfterListen | void>;
}

export interface StartedService<C, D> {
  cfg: C;
  data: D;
  app: FastifyInstance;
  log: Logger;
  url: string;
}

/** Starts the service `def` describes; a problem it cannot start with ends the process (see above). */
export async function runService<C extends ServiceBaseConfig, D>(
  def: ServiceDefinition<C, D>,
): Promise<StartedService<C, D>> {
  try {
    const cfg = def.config(process.env);
    const log = createLogger(def.name, cfg.LOG_LEVEL);
    installLifecycle(log);
    // With an OTLP endpoint the SDK loads (about half a second) while the data store opens.
    const tracing = startTracing(def.name, cfg, def.version);
    tracing.catch(() => undefined); // reported where it is awaited, below, unless opening fails first
    const data = await def.open(cfg, log);
    // Shutdown hooks run in reverse: registered before the HTTP server's, this one runs after it.
    onShutdown(() => (def.close ? def.close(data) : closeIfClosable(data)));
    // Runs after the HTTP server has closed (hooks run in reverse): the last requests' spans go out.
    const stopTracing = await tracing;
    if (stopTracing) onShutdown(stopTracing);
    const http = createHttpService({
      name: def.name,
      host: cfg.HOST,
      port: cfg.PORT,
      logger: log,
      ...(def.version ? { version: def.version } : {}),
      ...def.http,
      fastify: { ...def.http?.fastify, trustProxy: cfg.TRUST_PROXY?.length ? cfg.TRUST_PROXY : false },
    });
    const afterListen = await def.build({ cfg, data, app: http.app, log });
    const url = await http.listen();
    afterListen?.(url);
    return { cfg, data, app: http.app, log, url };
  } catch (err) {
    return exitForError(def.name, err);
  }
}

/** Runs a command of a service (`node services/idp rotate-keys`) with the same exits as start-up. */
export async function runCommand(who: string, task: () => unknown): Promise<void> {
  try {
    await task();
  } catch (err) {
    exitForError(who, err);
  }
}

/** A bad command line: thrown by a command, ends the process with one line and EX_USAGE (64). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The one line and the code for what the kit knows; anything else is a crash with its stack trace. */
export function exitForError(who: string, err: unknown): never {
  if (err instanceof ConfigError) exitWith(who, EXIT.config, err.message);
  if (err instanceof DataDirError) exitWith(who, EXIT.dataUnusable, err.message);
  if (err instanceof UsageError) exitWith(who, EXIT.usage, err.message);
  if (err instanceof DatabaseUnavailableError) exitWith(who, EXIT.unavailable, err.message);
  exitWith(who, EXIT.crash, `failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

function closeIfClosable(data: unknown): unknown {
  const close = (data as { close?: unknown } | null)?.close;
  return typeof close === 'function' ? (close as () => unknown).call(data) : undefined;
}
