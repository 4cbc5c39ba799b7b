/**
 * GET /metrics of the real services (kit metrics.ts, the API's metrics.ts): after requests, an error and
 * a turn, the latency histogram and the counters moved, labels are route templates (never ids), the pool
 * gauges read the PostgreSQL pool, METRICS_TOKEN guards a service that sets it, and every metric the
 * alert rules (deploy/prometheus/alerts.yml) read is exported by some service.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '@msi/contracts/api';
import { alertRules, exportedNames, metricNames } from '../../../test/support/alert-rules.js';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { backends } from '../../../test/support/database.js';
import { startScriptedModel } from '../../../test/support/scripted-model.js';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';

// PostgreSQL where the machine has it (the pool gauges then have values), else SQLite.
const postgres = backends().includes('postgres');
const budgets = {
  MODEL_BUDGET_TOKENS_PER_DAY: '1000000',
  MODEL_BUDGET_CALLS_PER_DAY: '5000',
  MODEL_BUDGET_USD_PER_DAY: '25',
};

let stack: Backend;
let token: string;
beforeAll(async () => {
  stack = await startBackend({ postgres, apiEnv: budgets });
  token = await stack.login('alex_agent');
});
afterAll(async () => {
  await stack?.stop();
});

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};
/** The value of one series (its exact label text), 0 when absent. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('metrics', () => {
  it('count requests by route template and status class, with latency and errors', async () => {
    const before = await scrape(stack.api.url);
    const id = randomUUID();
    const missing = await call(stack.api.url, token, 'GET', `/api/conversations/${id}`);
    expect(missing.status).toBe(404);
    expect((await call(stack.api.url, token, 'GET', '/api/me')).status).toBe(200);
    const after = await scrape(stack.api.url);

    const me = 'method="GET",route="/api/me",status_class="2xx"';
    expect(value(after, `msi_http_requests_total{${me}}`)).toBe(
      value(before, `msi_http_requests_total{${me}}`) + 1,
    );
    expect(value(after, `msi_http_request_duration_seconds_count{${me}}`)).toBe(
      value(before, `msi_http_request_duration_seconds_count{${me}}`) + 1,
    );
    expect(value(after, `msi_http_request_duration_seconds_bucket{le="+Inf",${me}}`)).toBeGreaterThan(0);
    const conv = 'method="GET",route="/api/conversations/:id",status_class="4xx"';
    expect(value(after, `msi_http_requests_total{${conv}}`)).toBe(
      value(before, `msi_http_requests_total{${conv}}`) + 1,
    );
    expect(value(after, 'api_errors_total{code="404"}')).toBe(
      value(before, 'api_errors_total{code="404"}') + 1,
    );
    // Route templates only: the id never becomes a label value.
    expect(after).not.toContain(id);
    for (const m of after.matchAll(/route="([^"]*)"/g)) expect(m[1]).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    // Process CPU and memory, and what the memory ratio is of.
    expect(value(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(after, 'msi_process_memory_limit_bytes')).toBeGreaterThan(
      value(after, 'process_resident_memory_bytes'),
    );
  });

  it('count model calls by provider, model and outcome, and turns; streams stay out of the latency', async () => {
    const before = await scrape(stack.api.url);
    const conv = (await call(stack.api.url, token, 'POST', API_ROUTES.conversations, {})).body.id as string;
    const turn = await sendMessage(stack.api.url, token, conv, 'show my open tickets');
    expect(turn.of('done')).toHaveLength(1);
    const after = await scrape(stack.api.url);
    const calls = 'api_model_calls_total{provider="offline",model="offline",outcome="ok"}';
    expect(value(after, calls)).toBeGreaterThan(value(before, calls));
    const turns = 'api_turn_duration_seconds_count{provider="offline",status="complete"}';
    expect(value(after, turns)).toBe(value(before, turns) + 1);
    const tool = /^api_tool_calls_total\{server="ticketing",tool="[a-z_]+",outcome="ok"\} (\d+)$/m;
    expect(Number(tool.exec(after)?.[1] ?? 0)).toBeGreaterThan(0);
    // The event stream (POST …/messages) is counted but has no latency sample.
    const stream = 'method="POST",route="/api/conversations/:id/messages",status_class="2xx"';
    expect(value(after, `msi_http_requests_total{${stream}}`)).toBe(
      value(before, `msi_http_requests_total{${stream}}`) + 1,
    );
    expect(after).not.toContain(`msi_http_request_duration_seconds_count{${stream}}`);
    expect(value(after, 'api_model_budget_tokens_per_day')).toBe(1_000_000);
  });

  it('count an OpenAI-compatible model: calls, tokens and cost by model (MODEL_PRICES)', async () => {
    const model = await startScriptedModel();
    try {
      const api = await stack.startApi({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: model.baseUrl,
        OPENAI_MODEL: 'scripted-1',
        EMBEDDING_PROVIDER: 'offline',
        MODEL_PRICES: '{"scripted-1": {"prompt": 2, "completion": 8}}',
      });
      model.setScript(() => ({
        text: 'Hello there',
        usage: { prompt_tokens: 1000, completion_tokens: 100 },
      }));
      const conv = (await call(api.url, token, 'POST', API_ROUTES.conversations, {})).body.id as string;
      expect((await sendMessage(api.url, token, conv, 'hi')).of('done')).toHaveLength(1);
      model.setScript(() => ({ error: { status: 500, message: 'the model is down' } }));
      expect((await sendMessage(api.url, token, conv, 'again')).of('error')).toHaveLength(1);

      const text = await scrape(api.url);
      const labels = 'provider="openai",model="scripted-1"';
      expect(value(text, `api_model_calls_total{${labels},outcome="ok"}`)).toBe(1);
      expect(value(text, `api_model_calls_total{${labels},outcome="error"}`)).toBe(1);
      expect(value(text, `api_model_tokens_total{${labels},kind="prompt"}`)).toBe(1000);
      expect(value(text, `api_model_tokens_total{${labels},kind="completion"}`)).toBe(100);
      // 1000 × 2 + 100 × 8 USD per million tokens
      expect(value(text, `api_model_cost_usd_total{${labels}}`)).toBeCloseTo(0.0028, 10);
      expect(value(text, `api_model_call_duration_seconds_count{${labels}}`)).toBe(2);
      expect(value(text, 'api_errors_total{code="model_error"}')).toBe(1);
    } finally {
      await model.close();
    }
  });

  // Skipped where no PostgreSQL test server answers: SQLite has no pool.
  it.skipIf(!postgres)('read the PostgreSQL pool of each service', async () => {
    const text = await scrape(stack.ticketing.url);
    expect(value(text, 'msi_db_pool_max{database="ticketing"}')).toBe(10);
    const inUse = value(text, 'msi_db_pool_in_use{database="ticketing"}');
    const idle = value(text, 'msi_db_pool_idle{database="ticketing"}');
    expect(inUse + idle).toBeGreaterThan(0); // the start-up's connection stays open (idle) for a while
    expect(text).toMatch(/^msi_db_pool_waiting\{database="ticketing"\} 0$/m);
  });

  it('answer a server error as one in msi_http_errors_total', async () => {
    await stack.organizations.stop();
    const ready = await fetch(`${stack.api.url}/readyz`);
    expect(ready.status).toBe(503);
    const text = await scrape(stack.api.url);
    expect(value(text, 'msi_http_errors_total{method="GET",route="/readyz",status="503"}')).toBe(1);
    expect(value(text, 'msi_http_requests_total{method="GET",route="/readyz",status_class="5xx"}')).toBe(1);
  });

  it('are served only with the bearer token when METRICS_TOKEN is set', async () => {
    const data = tempDataDir();
    let svc: RunningService | undefined;
    try {
      svc = await startService('organizations', {
        MSI_DATA_DIR: data.dir,
        IDP_ISSUER: stack.idp.issuer,
        METRICS_TOKEN: 'scrape-token-for-organizations',
      });
      const refused = await fetch(`${svc.url}/metrics`, { headers: { authorization: 'Bearer wrong' } });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
      const text = await scrape(svc.url, { authorization: 'Bearer scrape-token-for-organizations' });
      expect(text).toContain('# TYPE msi_http_requests_total counter');
    } finally {
      await svc?.stop();
      data.cleanup();
    }
  });

  it('with METRICS_TOKEN, are scraped by any Host name (Prometheus uses addresses); without, only by ours', async () => {
    /** GET /metrics with a Host header of our choosing (fetch cannot set it). */
    const get = (url: string, host: string, auth?: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(`${url}/metrics`);
        request(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            headers: { host, ...(auth ? { authorization: auth } : {}) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        )
          .on('error', reject)
          .end();
      });
    expect(await get(stack.api.url, 'api-1:8000')).toBe(421);
    const guarded = await stack.startApi({ METRICS_TOKEN: 'scrape-token-for-the-api' });
    expect(await get(guarded.url, 'api-1:8000', 'Bearer scrape-token-for-the-api')).toBe(200);
    expect(await get(guarded.url, 'api-1:8000')).toBe(401);
  });

  it('export every metric the alert rules read', async () => {
    const exported = new Set<string>();
    for (const svc of [stack.api, stack.ticketing, stack.idp])
      for (const n of exportedNames(await scrape(svc.url))) exported.add(n);
    const used = alertRules().flatMap((r) => metricNames(r.expr).map((name) => ({ alert: r.alert, name })));
    expect(used.length).toBeGreaterThan(10);
    const missing = used.filter((u) => !exported.has(u.name));
    expect(missing, 'metrics the alert rules read that no service exports').toEqual([]);
  });
});
