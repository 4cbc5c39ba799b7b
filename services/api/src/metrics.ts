/**
 * The API's own Prometheus metrics, on the kit's registry (kit metrics.ts serves them with every service's
 * request, process and pool metrics at GET /metrics): model calls, tokens and their cost by model, the
 * daily budgets the alert rules compare them with, tool calls, token exchanges, turns, errors by code.
 * Names and what they mean: docs/monitoring.md.
 */
import type { FastifyInstance } from 'fastify';
import { MetricsRegistry } from '@msi/kit';
import type { Usage } from './contract.js';

export type ToolOutcomeLabel = 'ok' | 'error' | 'denied' | 'timeout' | 'cancelled' | 'limit';
export type ModelOutcomeLabel = 'ok' | 'error' | 'cancelled';

/** USD per million tokens, by model (MODEL_PRICES). */
export type ModelPrices = Record<string, { prompt: number; completion: number }>;

export interface ModelBudgets {
  tokensPerDay?: number | undefined;
  callsPerDay?: number | undefined;
  usdPerDay?: number | undefined;
}

export interface ApiMetricsOptions {
  prices?: ModelPrices;
  budgets?: ModelBudgets;
}

export function createMetrics(registry = new MetricsRegistry(), opts: ApiMetricsOptions = {}) {
  const prices = opts.prices ?? {};
  const toolCalls = registry.counter('api_tool_calls_total', 'Tool calls by server, tool and outcome', [
    'server',
    'tool',
    'outcome',
  ]);
  const modelCalls = registry.counter(
    'api_model_calls_total',
    'Model steps (one request to the model) by provider, model and outcome',
    ['provider', 'model', 'outcome'],
  );
  const modelSeconds = registry.histogram(
    'api_model_call_duration_seconds',
    'Time of one model step, to its last streamed token',
    ['provider', 'model'],
    [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
  );
  const tokens = registry.counter(
    'api_model_tokens_total',
    'Model tokens by provider, model and kind (prompt, completion)',
    ['provider', 'model', 'kind'],
  );
  const cost = registry.counter(
    'api_model_cost_usd_total',
    'What the model tokens cost (USD, from MODEL_PRICES) by provider and model',
    ['provider', 'model'],
  );
  // Declared only when set: a gauge without labels would read 0 otherwise, and every use exceed it.
  const budget = (name: string, help: string, value: number | undefined) =>
    value !== undefined && registry.gauge(name, help, [], (set) => set({}, value));
  budget(
    'api_model_budget_tokens_per_day',
    'MODEL_BUDGET_TOKENS_PER_DAY: tokens a day may use (only when set)',
    opts.budgets?.tokensPerDay,
  );
  budget(
    'api_model_budget_calls_per_day',
    'MODEL_BUDGET_CALLS_PER_DAY: model calls a day may make (only when set)',
    opts.budgets?.callsPerDay,
  );
  budget(
    'api_model_budget_usd_per_day',
    'MODEL_BUDGET_USD_PER_DAY: what a day of model use may cost (only when set)',
    opts.budgets?.usdPerDay,
  );
  const errors = registry.counter('api_errors_total', 'Errors answered, by code', ['code']);
  const exchanges = registry.counter(
    'api_token_exchanges_total',
    'Token exchanges at the IDP (cache misses) by audience and result',
    ['audience', 'result'],
  );
  const turns = registry.histogram(
    'api_turn_duration_seconds',
    'Agent turns by provider and how they ended (its _count: turns by outcome)',
    ['provider', 'status'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  return {
    registry,
    toolCall(server: string, tool: string, outcome: ToolOutcomeLabel) {
      toolCalls.inc({ server, tool, outcome });
    },
    /** One model step: its outcome and time, and the tokens it reported with what they cost. */
    modelCall(provider: string, model: string, outcome: ModelOutcomeLabel, seconds: number, usage?: Usage) {
      modelCalls.inc({ provider, model, outcome });
      modelSeconds.observe({ provider, model }, seconds);
      if (!usage) return;
      tokens.inc({ provider, model, kind: 'prompt' }, usage.promptTokens);
      tokens.inc({ provider, model, kind: 'completion' }, usage.completionTokens);
      const price = prices[model];
      if (price)
        cost.inc(
          { provider, model },
          (usage.promptTokens * price.prompt + usage.completionTokens * price.completion) / 1e6,
        );
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
    /** Counts every HTTP error answer (4xx and 5xx) by status code in api_errors_total. */
    register(app: FastifyInstance) {
      app.addHook('onResponse', (req, reply, done) => {
        if (reply.statusCode >= 400 && req.routeOptions.url !== '/metrics')
          errors.inc({ code: String(reply.statusCode) });
        done();
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
