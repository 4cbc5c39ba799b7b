/**
 * Prometheus metrics for every service (docs/monitoring.md): GET /metrics in the text format, request
 * latency, requests and server errors by route template, process CPU and memory (prom-client's default
 * metrics) with the memory limit the ratio alert divides by, and the PostgreSQL pool's use.
 *
 * Collection stays cheap for the desktop: prom-client (tens of milliseconds of module loading) is loaded
 * only after the service listens (or at the first scrape); what is observed before that waits in a short
 * queue and is replayed. Values that are read rather than counted (the pool, memory) are read at scrape
 * time only.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type * as Prom from 'prom-client';
import { poolStats } from './pool-stats.js';

type Client = typeof Prom;
type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface CounterHandle<L extends string> {
  inc(labels: Labels<L>, by?: number): void;
}
export interface HistogramHandle<L extends string> {
  observe(labels: Labels<L>, value: number): void;
}
export interface GaugeHandle<L extends string> {
  set(labels: Labels<L>, value: number): void;
}

/** How long after listening prom-client is loaded (observations wait in the queue until then). */
const LOAD_DELAY_MS = 2000;

/** Observations kept until the library has loaded (about LOAD_DELAY_MS after listening); more are dropped. */
const QUEUE_LIMIT = 10_000;

/**
 * A registry whose metrics can be declared and updated before prom-client is loaded: declarations and
 * updates made earlier are applied, in order, when it loads.
 */
export class MetricsRegistry {
  #client: Client | undefined;
  #registry: Prom.Registry | undefined;
  #loading: Promise<Prom.Registry> | undefined;
  #defs: ((c: Client, r: Prom.Registry) => void)[] = [];
  #queue: (() => void)[] = [];

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): CounterHandle<L> {
    let real: Prom.Counter<L> | undefined;
    this.#define((c, r) => {
      real = new c.Counter({ name, help, labelNames, registers: [r] });
    });
    return {
      inc: (labels, by = 1) => (real ? real.inc(labels, by) : this.#later(() => real!.inc(labels, by))),
    };
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): HistogramHandle<L> {
    let real: Prom.Histogram<L> | undefined;
    this.#define((c, r) => {
      real = new c.Histogram({ name, help, labelNames, buckets, registers: [r] });
    });
    return {
      observe: (labels, v) => (real ? real.observe(labels, v) : this.#later(() => real!.observe(labels, v))),
    };
  }

  /** A gauge set by the code; with `collect`, (re)read from scratch at every scrape instead. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (set: (labels: Labels<L>, value: number) => void) => void,
  ): GaugeHandle<L> {
    let real: Prom.Gauge<L> | undefined;
    this.#define((c, r) => {
      real = new c.Gauge({
        name,
        help,
        labelNames,
        registers: [r],
        ...(collect
          ? {
              collect(this: Prom.Gauge<L>) {
                this.reset();
                collect((labels, v) => this.set(labels, v));
              },
            }
          : {}),
      });
    });
    return {
      set: (labels, v) => (real ? real.set(labels, v) : this.#later(() => real!.set(labels, v))),
    };
  }

  /** Loads prom-client (once) and applies what was declared and observed so far. */
  load(): Promise<Prom.Registry> {
    return (this.#loading ??= import('prom-client').then((mod) => {
      const c = ((mod as unknown as { default?: Client }).default ?? mod) as Client;
      const r = new c.Registry();
      c.collectDefaultMetrics({ register: r });
      this.#client = c;
      this.#registry = r;
      for (const d of this.#defs.splice(0)) d(c, r);
      for (const q of this.#queue.splice(0)) q();
      return r;
    }));
  }

  /** The exposition: content type and Prometheus text. */
  async render(): Promise<{ contentType: string; text: string }> {
    const r = await this.load();
    return { contentType: r.contentType, text: await r.metrics() };
  }

  #define(fn: (c: Client, r: Prom.Registry) => void) {
    if (this.#client) fn(this.#client, this.#registry!);
    else this.#defs.push(fn);
  }

  #later(fn: () => void) {
    if (this.#queue.length < QUEUE_LIMIT) this.#queue.push(fn);
  }
}

export interface ServiceMetricsOptions {
  /** METRICS_TOKEN: GET /metrics only with `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** METRICS_MEMORY_LIMIT_MB: what the memory ratio is of (default: cgroup limit, else machine memory). */
  memoryLimitMb?: number | undefined;
}

export interface ServiceMetrics {
  /** Where a service declares metrics of its own (the API's model and tool metrics). */
  registry: MetricsRegistry;
  /** Loads the library a moment after listening (LOAD_DELAY_MS), unless a scrape did already. */
  loadSoon(): void;
}

/** Buckets of request latency (seconds); 3 is the response-time alert's threshold, so it is exact. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60];

const byApp = new WeakMap<FastifyInstance, ServiceMetrics>();
const streams = new WeakSet<object>();

/**
 * Marks a response as a stream (Server-Sent Events): it lasts as long as the work it follows, so it is
 * counted but kept out of the latency histogram the response-time alert reads.
 */
export function markStream(reply: FastifyReply): void {
  streams.add(reply.raw);
}

/**
 * The service's metrics on `app`: the request hook and GET /metrics, registered once per app (the kit's
 * start-up does it; a later call returns the same, e.g. for a service's own metrics).
 */
export function serviceMetrics(app: FastifyInstance, opts: ServiceMetricsOptions = {}): ServiceMetrics {
  const existing = byApp.get(app);
  if (existing) return existing;
  const registry = new MetricsRegistry();

  const labels = ['method', 'route', 'status_class'] as const;
  const duration = registry.histogram(
    'msi_http_request_duration_seconds',
    'HTTP request latency to the end of the response, by route template (event streams excluded)',
    labels,
    HTTP_BUCKETS,
  );
  const requests = registry.counter('msi_http_requests_total', 'HTTP requests answered', labels);
  const errors = registry.counter(
    'msi_http_errors_total',
    'HTTP requests answered with a server error (5xx), by status',
    ['method', 'route', 'status'],
  );
  let limit: number | undefined;
  registry.gauge(
    'msi_process_memory_limit_bytes',
    'The memory this process may use (METRICS_MEMORY_LIMIT_MB, else the cgroup limit, else the machine)',
    [],
    (set) => set({}, (limit ??= memoryLimitBytes(opts.memoryLimitMb))),
  );
  const pool = (name: string, help: string, pick: (s: ReturnType<typeof poolStats>[number]) => number) =>
    registry.gauge(name, help, ['database'], (set) => {
      for (const s of poolStats()) set({ database: s.database }, pick(s));
    });
  pool('msi_db_pool_in_use', 'PostgreSQL connections checked out of the pool', (s) => s.inUse);
  pool('msi_db_pool_idle', 'PostgreSQL connections open and idle in the pool', (s) => s.idle);
  pool('msi_db_pool_waiting', 'Queries waiting for a PostgreSQL connection', (s) => s.waiting);
  pool('msi_db_pool_max', 'Largest number of PostgreSQL connections (DATABASE_POOL_MAX)', (s) => s.max);

  app.addHook('onResponse', (req, reply, done) => {
    // Route templates only (`/api/conversations/:id`), never the raw path: one series per route.
    const route = req.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') {
      const status = reply.statusCode;
      const l = { method: req.method, route, status_class: `${Math.floor(status / 100)}xx` };
      requests.inc(l);
      if (!streams.has(reply.raw)) duration.observe(l, reply.elapsedTime / 1000);
      if (status >= 500) errors.inc({ method: req.method, route, status });
    }
    done();
  });

  const expected = opts.token ? Buffer.from(`Bearer ${opts.token}`) : undefined;
  app.get('/metrics', async (req, reply) => {
    if (expected) {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected))
        return reply
          .status(401)
          .header('WWW-Authenticate', 'Bearer realm="metrics"')
          .send({ error: 'unauthorized', message: 'GET /metrics needs the METRICS_TOKEN bearer token' });
    }
    const { contentType, text } = await registry.render();
    return reply.type(contentType).send(text);
  });

  const metrics: ServiceMetrics = {
    registry,
    // A moment after listening: a cold start (the desktop starts every service at once) is busy enough;
    // a scrape before then loads it at once.
    loadSoon: () => void setTimeout(() => void registry.load(), LOAD_DELAY_MS).unref(),
  };
  byApp.set(app, metrics);
  return metrics;
}

/**
 * The paths the DNS-rebinding guard (host-guard.ts) should answer for any Host: GET /metrics when
 * METRICS_TOKEN guards it, since Prometheus scrapes by address or service name and a rebinding page
 * cannot send the token; without a token (the desktop) it stays behind the guard.
 */
export function scrapePaths(token: string | undefined): string[] {
  return token ? ['/metrics'] : [];
}

/** The configured limit, else the cgroup's (v2, then v1; "max" or a huge v1 value means none), else RAM. */
function memoryLimitBytes(configuredMb: number | undefined): number {
  if (configuredMb) return configuredMb * 1024 * 1024;
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n) && n > 0 && n < totalmem()) return n;
    } catch {
      // not in a cgroup of that version
    }
  }
  return totalmem();
}
