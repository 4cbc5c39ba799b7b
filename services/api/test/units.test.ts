import { describe, expect, it } from 'vitest';
import { desktopPrincipal } from '../../../test/support/principal.js';
import { createApprovals } from '../src/agent/approvals.js';
import { summarize } from '../src/agent/loop.js';
import { plan } from '../src/agent/offline/plan.js';
import { createMetrics } from '../src/metrics.js';

const person = desktopPrincipal;
const james = person('james_smith', ['customer'], ['dallas-police']);
const orgs = [
  { slug: 'dallas-police', name: 'Dallas Police Department', legacyName: 'Dallas_Police' },
  { slug: 'allen-firestation', name: 'Allen Fire Station', legacyName: 'Allen_Firestation' },
  { slug: 'la-city', name: 'City of Los Angeles', legacyName: 'LA_City' },
];

describe('approvals', () => {
  it('only the owner decides; others get not_found; timeout and cancel settle', async () => {
    const a = createApprovals({ timeoutMs: 50 });
    const ac = new AbortController();
    const r1 = a.request('u1', ac.signal);
    expect(await a.decide('u2', r1.approvalId, 'approve')).toEqual({ result: 'not_found' });
    expect(await a.decide('u1', r1.approvalId, 'deny')).toEqual({ result: 'ok' });
    expect(await r1.decision).toMatchObject({ decision: 'denied', by: 'u1' });
    expect(Date.parse((await r1.decision).at)).toBeGreaterThan(Date.now() - 5000);
    expect(await a.decide('u1', r1.approvalId, 'approve')).toEqual({ result: 'not_found' });
    expect((await a.request('u1', ac.signal).decision).decision).toBe('timeout');
    const r3 = a.request('u1', ac.signal);
    ac.abort();
    expect(await r3.decision).not.toHaveProperty('by');
    expect((await r3.decision).decision).toBe('cancelled');
    expect(a.pending).toBe(0);
  });
});

describe('cutting text never splits a character', () => {
  const wellFormed = (s: string) =>
    !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

  it('the approval summary and an offline ticket title cut at an emoji stay well-formed', () => {
    const tool = {
      server: 'ticketing' as const,
      name: 'create_ticket',
      title: 'Create a ticket',
      description: '',
      inputSchema: {},
      readOnly: false,
      destructive: false,
      requiresApproval: true,
    };
    expect(wellFormed(summarize(tool, { title: `${'x'.repeat(116)}🚓🚓🚓🚓🚓🚓` }))).toBe(true);
    const step = plan(
      `Create a ticket: ${'d'.repeat(116)}🚓${'e'.repeat(20)}`,
      james,
      [
        {
          name: 'list_organizations',
          args: {},
          outcome: { ok: true, result: { organizations: orgs.slice(0, 1) } },
        },
      ],
      new Set(['create_ticket', 'list_organizations']),
    );
    expect('call' in step).toBe(true);
    const args = JSON.parse((step as { call: { arguments: string } }).call.arguments) as { title: string };
    expect(wellFormed(args.title)).toBe(true);
  });
});

describe('metrics', () => {
  it('renders Prometheus text: tool calls, model calls, tokens and cost by model, budgets', async () => {
    const m = createMetrics(undefined, {
      prices: { 'gpt-4o-mini': { prompt: 0.15, completion: 0.6 } },
      budgets: { tokensPerDay: 1_000_000 },
    });
    m.toolCall('ticketing', 'search_tickets', 'ok');
    m.modelCall('openai', 'gpt-4o-mini', 'ok', 0.5, { promptTokens: 1000, completionTokens: 200 });
    m.modelCall('openai', 'unpriced-model', 'ok', 0.5, { promptTokens: 10, completionTokens: 2 });
    m.modelCall('openai', 'gpt-4o-mini', 'error', 0.1);
    const { text } = await m.registry.render();
    expect(text).toContain('api_tool_calls_total{server="ticketing",tool="search_tickets",outcome="ok"} 1');
    expect(text).toContain(
      'api_model_tokens_total{provider="openai",model="gpt-4o-mini",kind="prompt"} 1000',
    );
    expect(text).toContain('api_model_calls_total{provider="openai",model="gpt-4o-mini",outcome="error"} 1');
    // 1000 × 0.15 + 200 × 0.6 USD per million tokens
    const cost = /^api_model_cost_usd_total\{provider="openai",model="gpt-4o-mini"\} (\S+)$/m.exec(text);
    expect(Number(cost?.[1])).toBeCloseTo(0.00027, 10);
    expect(text).not.toMatch(/api_model_cost_usd_total\{[^}]*unpriced-model/);
    expect(text).toMatch(/^api_model_budget_tokens_per_day 1000000$/m);
    // A budget not set is not exported as a value (its alert then never fires).
    expect(text).not.toMatch(/^api_model_budget_usd_per_day /m);
  });
});
