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
  it('renders Prometheus text', () => {
    const m = createMetrics();
    m.toolCall('ticketing', 'search_tickets', 'ok');
    m.tokens('openai', { promptTokens: 10, completionTokens: 2 });
    const text = m.render();
    expect(text).toContain('api_tool_calls_total{server="ticketing",tool="search_tickets",outcome="ok"} 1');
    expect(text).toContain('api_model_tokens_total{provider="openai",kind="prompt"} 10');
  });
});
