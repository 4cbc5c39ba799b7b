import { describe, expect, it } from 'vitest';
import { openDatabase, type Principal } from '@msi/kit';
import { createApprovals } from '../src/agent/approvals.js';
import { summarize } from '../src/agent/loop.js';
import { detectIntent, matchOrganization } from '../src/agent/offline/intent.js';
import { plan } from '../src/agent/offline/plan.js';
import { conversationMigrations, createConversationStore } from '../src/conversations/store.js';
import { createRateLimiter } from '../src/limits.js';
import { createMetrics } from '../src/metrics.js';

const person = (username: string, roles: Principal['roles'], organizations: string[]): Principal => ({
  sub: `sub-${username}`,
  username,
  roles,
  organizations,
  scopes: ['api'],
  clientId: 'msi-desktop',
  audience: 'http://api',
  expiresAt: 0,
  isService: false,
});
const james = person('james_smith', ['customer'], ['dallas-police']);
const alex = person('alex_agent', ['agent'], ['dallas-police', 'allen-firestation']);
const orgs = [
  { slug: 'dallas-police', name: 'Dallas Police Department', legacyName: 'Dallas_Police' },
  { slug: 'allen-firestation', name: 'Allen Fire Station', legacyName: 'Allen_Firestation' },
  { slug: 'la-city', name: 'City of Los Angeles', legacyName: 'LA_City' },
];

describe('offline planner', () => {
  it('reads the kind of request from its words', () => {
    expect(detectIntent('Show my tickets', james)).toEqual({ kind: 'tickets', mine: true });
    expect(detectIntent('tickets of Dallas Police', alex)).toEqual({ kind: 'tickets', mine: false });
    expect(detectIntent('Please create a ticket: dock does not charge', james).kind).toBe('create_ticket');
    expect(detectIntent('Who are the users of Allen Fire Station?', alex).kind).toBe('org_users');
    expect(detectIntent('compare permissions of james_smith and maria_garcia', alex)).toEqual({
      kind: 'compare_permissions',
      usernames: ['james_smith', 'maria_garcia'],
    });
    expect(detectIntent('What is the status of LA_City?', alex).kind).toBe('org_status');
    expect(detectIntent('What does TCK-1042 say?', alex)).toEqual({ kind: 'ticket', number: 'TCK-1042' });
    expect(detectIntent('How do I update camera firmware?', alex).kind).toBe('docs');
    expect(detectIntent('How many tickets are there?', alex).kind).toBe('ticket_stats');
    expect(detectIntent('Give me a breakdown of tickets for Dallas Police', alex).kind).toBe('ticket_stats');
    expect(detectIntent('How many urgent tickets do I have?', james)).toEqual({
      kind: 'tickets',
      mine: true,
    });
  });

  it('reads the product of a new ticket from its model names too', () => {
    const listed = {
      name: 'list_organizations',
      args: {},
      outcome: { ok: true, result: { total: 1, organizations: orgs.slice(0, 1) } },
    };
    const avail = new Set(['list_organizations', 'create_ticket']);
    const product = (q: string) => {
      const step = plan(q, james, [listed], avail);
      return 'call' in step ? (JSON.parse(step.call.arguments) as { product?: string }).product : undefined;
    };
    expect(product('Create a ticket: DS-8 bay 3 shows a red LED')).toBe('docking_station');
    expect(product('Create a ticket: V700 will not power on')).toBe('body_camera');
    expect(product('Create a ticket: M500 does not record on lights')).toBe('in_car_video');
  });

  it('filters tickets by the priority and status the question names', () => {
    const avail = new Set(['search_tickets']);
    expect(plan('How many urgent tickets do I have?', james, [], avail)).toEqual({
      call: {
        name: 'search_tickets',
        arguments: JSON.stringify({ reporter: 'james_smith', priority: ['urgent'], limit: 25 }),
      },
    });
    expect(plan('my open high priority tickets', james, [], avail)).toEqual({
      call: {
        name: 'search_tickets',
        arguments: JSON.stringify({
          reporter: 'james_smith',
          status: ['open', 'in_progress', 'waiting_on_customer'],
          priority: ['high'],
          limit: 25,
        }),
      },
    });
  });

  it('finds the organization by slug words, name or legacy name, longest match first', () => {
    expect(matchOrganization('tickets of dallas police', orgs)?.slug).toBe('dallas-police');
    expect(matchOrganization('users of Allen_Firestation', orgs)?.slug).toBe('allen-firestation');
    expect(matchOrganization('status of the City of Los Angeles', orgs)?.slug).toBe('la-city');
    expect(matchOrganization('status of Houston', orgs)).toBeUndefined();
  });

  it('looks the organization up first, then calls the tool, then answers from the result', () => {
    const avail = new Set(['list_organizations', 'get_organization_users']);
    const q = 'users of Allen Fire Station';
    const s1 = plan(q, alex, [], avail);
    expect(s1).toEqual({ call: { name: 'list_organizations', arguments: JSON.stringify({ limit: 100 }) } });
    const listed = {
      name: 'list_organizations',
      args: {},
      outcome: { ok: true, result: { total: 3, organizations: orgs } },
    };
    const s2 = plan(q, alex, [listed], avail);
    expect(s2).toEqual({
      call: {
        name: 'get_organization_users',
        arguments: JSON.stringify({ organization: 'allen-firestation', limit: 100 }),
      },
    });
    const users = {
      name: 'get_organization_users',
      args: {},
      outcome: {
        ok: true,
        result: {
          total: 1,
          members: [
            { name: 'Linda Baker', username: 'linda_baker', title: 'Captain', permissions: ['view_records'] },
          ],
        },
      },
    };
    const s3 = plan(q, alex, [listed, users], avail);
    expect('answer' in s3 && s3.answer).toContain('| Linda Baker | linda_baker | Captain | view_records |');
  });

  it('tells the person when a change was declined', () => {
    const avail = new Set(['list_organizations', 'create_ticket']);
    const listed = {
      name: 'list_organizations',
      args: {},
      outcome: { ok: true, result: { organizations: [orgs[0]] } },
    };
    const q = 'Create a ticket: body camera will not dock';
    const s = plan(q, james, [listed], avail);
    expect('call' in s && JSON.parse(s.call.arguments)).toMatchObject({
      org: 'dallas-police',
      title: 'Body camera will not dock',
      product: 'docking_station',
    });
    const denied = {
      name: 'create_ticket',
      args: {},
      outcome: { ok: false, error: 'The person declined this change.' },
      approval: { decision: 'denied' as const, by: 'sub-james_smith', at: new Date().toISOString() },
    };
    const end = plan(q, james, [listed, denied], avail);
    expect('answer' in end && end.answer).toContain('not created');
  });
});

describe('rate limiter', () => {
  it('allows N per minute per key, then says how long to wait', () => {
    let t = 0;
    const rl = createRateLimiter(2, () => t);
    expect(rl.hit('a')).toBe(0);
    t = 10_000;
    expect(rl.hit('a')).toBe(0);
    expect(rl.hit('b')).toBe(0);
    expect(rl.hit('a')).toBe(50);
    t = 60_001;
    expect(rl.hit('a')).toBe(0);
  });
});

describe('approvals', () => {
  it('only the owner decides; others get not_found; timeout and cancel settle', async () => {
    const a = createApprovals({ timeoutMs: 50 });
    const ac = new AbortController();
    const r1 = a.request('u1', ac.signal);
    expect(a.decide('u2', r1.approvalId, 'approve')).toBe('not_found');
    expect(a.decide('u1', r1.approvalId, 'deny')).toBe('ok');
    expect(await r1.decision).toMatchObject({ decision: 'denied', by: 'u1' });
    expect(Date.parse((await r1.decision).at)).toBeGreaterThan(Date.now() - 5000);
    expect(a.decide('u1', r1.approvalId, 'approve')).toBe('not_found');
    expect((await a.request('u1', ac.signal).decision).decision).toBe('timeout');
    const r3 = a.request('u1', ac.signal);
    ac.abort();
    expect(await r3.decision).not.toHaveProperty('by');
    expect((await r3.decision).decision).toBe('cancelled');
    expect(a.pending).toBe(0);
  });
});

describe('conversation store', () => {
  it('keeps conversations per owner and stores a turn in one piece', () => {
    const store = createConversationStore(openDatabase(':memory:', conversationMigrations));
    const c = store.create('alice');
    store.addUserMessage(c.id, 'What is 100% of my tickets_x?');
    store.saveAssistantMessage(c.id, {
      content: 'Answer',
      status: 'complete',
      provider: 'offline',
      toolCalls: [
        {
          callId: 'c1',
          server: 'ticketing',
          tool: 'search_tickets',
          args: { a: 1 },
          ok: true,
          result: { n: 1 },
          ms: 3,
        },
      ],
      citations: [{ documentId: 'd', chunkId: 'k', title: 'T', section: 'S', snippet: 'x', score: 0.5 }],
    });
    expect(store.get('bob', c.id)).toBeUndefined();
    expect(store.rename('bob', c.id, 'x')).toBeUndefined();
    expect(store.remove('bob', c.id)).toBe(false);
    const d = store.get('alice', c.id)!;
    expect(d.title).toBe('What is 100% of my tickets_x?');
    expect(d.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(d.messages[1]!.toolCalls[0]).toMatchObject({
      tool: 'search_tickets',
      ok: true,
      result: { n: 1 },
      ms: 3,
    });
    expect(d.messages[1]!.citations[0]!.chunkId).toBe('k');
    expect(store.list('alice', '100%').length).toBe(1);
    expect(store.list('alice', '50%').length).toBe(0);
    expect(store.list('bob').length).toBe(0);
    expect(store.remove('alice', c.id)).toBe(true);
  });
});

describe('cutting text never splits a character', () => {
  const wellFormed = (s: string) =>
    !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

  it('a conversation title cut at an emoji is stored and read back intact', () => {
    const store = createConversationStore(openDatabase(':memory:', conversationMigrations));
    const c = store.create('alice');
    store.addUserMessage(c.id, `${'a'.repeat(56)}🚓${'b'.repeat(10)}`);
    const title = store.get('alice', c.id)!.title;
    expect(title).not.toContain('\uFFFD');
    expect(wellFormed(title)).toBe(true);
    expect(title).toBe(`${'a'.repeat(56)}…`);
  });

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
