/** Prometheus text metrics: request latency, tool calls by tool and outcome, model tokens, errors, turns. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

type Labels = Record<string, string>;
const key = (l: Labels) =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

class Counter {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1) {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels) {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}{${k}} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number) {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => value <= b && s.counts[i]!++);
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${k}} ${s.sum}`);
      lines.push(`${this.name}_count{${k}} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export type ToolOutcomeLabel = 'ok' | 'error' | 'denied' | 'timeout' | 'cancelled' | 'limit';

export function createMetrics() {
  const requests = new Histogram(
    'api_http_request_duration_seconds',
    'HTTP request latency (to the end of the response)',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  const toolCalls = new Counter('api_tool_calls_total', 'Tool calls by server, tool and outcome');
  const tokens = new Counter(
    'api_model_tokens_total',
    'Model tokens by provider and kind (prompt, completion)',
  );
  const errors = new Counter('api_errors_total', 'Errors answered, by code');
  const exchanges = new Counter(
    'api_token_exchanges_total',
    'Token exchanges at the IDP (cache misses) by audience and result',
  );
  const turns = new Histogram(
    'api_turn_duration_seconds',
    'Agent turns by provider and how they ended',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  return {
    toolCall(server: string, tool: string, outcome: ToolOutcomeLabel) {
      toolCalls.inc({ server, tool, outcome });
    },
    tokens(provider: string, usage: { promptTokens: number; completionTokens: number }) {
      tokens.inc({ provider, kind: 'prompt' }, usage.promptTokens);
      tokens.inc({ provider, kind: 'completion' }, usage.completionTokens);
    },
    tokenExchange(audience: string, ok: boolean) {
      exchanges.inc({ audience, result: ok ? 'ok' : 'refused' });
    },
    error(code: string) {
      errors.inc({ code });
    },
    turn(provider: string, status: string, seconds: number) {
      turns.observe({ provider, status }, seconds);
    },
    render(): string {
      return [requests, toolCalls, tokens, errors, exchanges, turns].map((m) => m.render()).join('\n') + '\n';
    },
    /** Times every request and serves GET /metrics (with `token` set, only to `Authorization: Bearer <token>`). */
    register(app: FastifyInstance, token?: string) {
      app.addHook('onResponse', (req, reply, done) => {
        const route = req.routeOptions.url ?? 'unmatched';
        if (route !== '/metrics') {
          requests.observe(
            { method: req.method, route, status: String(reply.statusCode) },
            reply.elapsedTime / 1000,
          );
          if (reply.statusCode >= 400) errors.inc({ code: String(reply.statusCode) });
        }
        done();
      });
      const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
      app.get('/metrics', async (req, reply) => {
        if (expected) {
          const got = Buffer.from(req.headers.authorization ?? '');
          if (got.length !== expected.length || !timingSafeEqual(got, expected))
            return reply
              .status(401)
              .header('WWW-Authenticate', 'Bearer realm="metrics"')
              .send({ error: 'unauthorized', message: 'GET /metrics needs the METRICS_TOKEN bearer token' });
        }
        return reply.type('text/plain; version=0.0.4; charset=utf-8').send(this.render());
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
