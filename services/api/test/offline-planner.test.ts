/**
 * The offline planner without services: how it reads requests, finds organizations, and walks from the
 * organizations list to the tool call to the answer (the tool results are given as the servers answer).
 */
import { describe, expect, it } from 'vitest';
import { desktopPrincipal } from '../../../test/support/principal.js';
import { readIntent } from '../src/agent/offline/intent.js';
import { matchOrganization } from '../src/agent/offline/orgs.js';
import { offlineProvider } from '../src/agent/offline/index.js';
import { plan, type Done } from '../src/agent/offline/plan.js';

const person = desktopPrincipal;
const james = person('james_smith', ['customer'], ['dallas-police']);
const alex = person('alex_agent', ['agent'], ['dallas-police', 'allen-firestation']);
const sam = person('sam_supervisor', ['supervisor'], []);
const admin = person('admin', ['admin'], []);
const orgs = [
  { slug: 'dallas-police', name: 'Dallas Police Department', legacyName: 'Dallas_Police', type: 'police' },
  { slug: 'allen-firestation', name: 'Allen Fire Station', legacyName: 'Allen_Firestation', type: 'fire' },
  { slug: 'la-city', name: 'City of Los Angeles', legacyName: 'LA_City', type: 'city' },
];
const listed = (list = orgs): Done => ({
  name: 'list_organizations',
  args: { limit: 100 },
  outcome: { ok: true, result: { total: list.length, organizations: list } },
});
const ALL = new Set([
  'list_organizations',
  'get_organization_users',
  'compare_user_permissions',
  'set_member_permissions',
  'search_tickets',
  'get_ticket',
  'update_ticket',
  'add_comment',
  'resolve_ticket',
  'create_ticket',
]);
const callOf = (s: ReturnType<typeof plan>) =>
  'call' in s ? { name: s.call.name, args: JSON.parse(s.call.arguments) as Record<string, unknown> } : s;
const at = new Date().toISOString();

describe('offline planner', () => {
  it('reads the kind of request from its words', () => {
    expect(readIntent('Show my tickets', james)).toMatchObject({ kind: 'tickets', mine: true });
    expect(readIntent('tickets of Dallas Police', alex)).toMatchObject({ kind: 'tickets', mine: false });
    expect(readIntent('Please create a ticket: dock does not charge', james).kind).toBe('create_ticket');
    expect(readIntent('Who are the users of Allen Fire Station?', alex).kind).toBe('org_users');
    expect(readIntent('compare permissions of james_smith and maria_garcia', alex)).toEqual({
      kind: 'compare_permissions',
      usernames: ['james_smith', 'maria_garcia'],
    });
    expect(readIntent('What is the status of LA_City?', alex).kind).toBe('org_status');
    expect(readIntent('What does TCK-1042 say?', alex)).toEqual({ kind: 'ticket', number: 'TCK-1042' });
    expect(readIntent('How do I update camera firmware?', alex).kind).toBe('docs');
    expect(readIntent('How many tickets are there?', alex).kind).toBe('ticket_stats');
    expect(readIntent('Give me a breakdown of tickets for Dallas Police', alex).kind).toBe('ticket_stats');
    expect(readIntent('How many urgent tickets do I have?', james)).toEqual({
      kind: 'tickets',
      mine: true,
      counting: true,
      filters: { priority: ['urgent'] },
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

describe('offline planner: basic mode verbs', () => {
  it('assigns, changes status and priority, comments and resolves through the ticket tools', () => {
    expect(callOf(plan('assign TCK 1301 to riley_agent', sam, [], ALL))).toEqual({
      name: 'update_ticket',
      args: { number: 'TCK-1301', assignee: 'riley_agent' },
    });
    expect(callOf(plan('close tck-1002 and make it high priority', alex, [], ALL))).toEqual({
      name: 'update_ticket',
      args: { number: 'TCK-1002', priority: 'high', status: 'closed' },
    });
    expect(callOf(plan('internal note on ticket 1003: call back Monday', alex, [], ALL))).toEqual({
      name: 'add_comment',
      args: { number: 'TCK-1003', body: 'call back Monday', internal: true },
    });
    expect(callOf(plan('resolve #1004: swapped the battery', alex, [], ALL))).toEqual({
      name: 'resolve_ticket',
      args: { number: 'TCK-1004', resolution: 'swapped the battery' },
    });
  });

  it('says what is missing and how to say it, instead of doing something else', () => {
    const s = plan('resolve TCK-1012', alex, [], ALL);
    expect('answer' in s && s.answer).toContain('Say how TCK-1012 was resolved');
    const a = plan('assign TCK-1044', sam, [], ALL);
    expect('answer' in a && a.answer).toContain('assign TCK-1044 to riley_agent');
  });

  it('tells apart a declined, a timed-out and a failed change from the typed approval', () => {
    const change = (approval: Done['approval'], ok = false): Done => ({
      name: 'update_ticket',
      args: { number: 'TCK-1001', assignee: 'riley_agent' },
      outcome: ok
        ? {
            ok: true,
            result: {
              ticket: { status: 'open', priority: 'high', assignee: 'riley_agent' },
              changed: ['assignee'],
            },
          }
        : { ok: false, error: 'not run' },
      ...(approval ? { approval } : {}),
    });
    const q = 'assign TCK-1001 to riley_agent';
    const text = (d: Done) => (plan(q, sam, [d], ALL) as { answer: string }).answer;
    expect(text(change({ decision: 'denied', by: 'sub-sam', at }))).toContain(
      'You declined, so TCK-1001 was **not changed**',
    );
    expect(text(change({ decision: 'timeout', at }))).toContain('not approved in time');
    expect(text(change(undefined))).toContain('I could not change TCK-1001: not run');
    expect(text(change({ decision: 'approved', by: 'sub-sam', at }, true))).toContain(
      'Updated **TCK-1001** (assignee). It is now **Open**, priority **High**, assigned to riley_agent.',
    );
  });

  it('counts in words that keep the filter', () => {
    const q = 'How many urgent tickets do I have?';
    const first = callOf(plan(q, alex, [], ALL));
    expect(first).toEqual({
      name: 'search_tickets',
      args: { assignee: 'alex_agent', priority: ['urgent'], limit: 25 },
    });
    const none: Done = {
      name: 'search_tickets',
      args: {},
      outcome: { ok: true, result: { total: 0, tickets: [] } },
    };
    expect((plan(q, alex, [none], ALL) as { answer: string }).answer).toMatch(
      /^You have no urgent tickets\./,
    );
    const q2 = 'open high priority tickets for dallas pd';
    expect(callOf(plan(q2, alex, [listed()], ALL))).toMatchObject({
      args: { org: 'dallas-police', priority: ['high'] },
    });
    expect((plan(q2, alex, [listed(), none], ALL) as { answer: string }).answer).toMatch(
      /^Dallas Police Department has no high open tickets\./,
    );
  });

  it('finds the organization two members share by looking the first one up', () => {
    const q = 'compare permissions of linda_baker and noah_moore';
    const visible = orgs.slice(0, 2);
    expect(callOf(plan(q, alex, [listed(visible)], ALL))).toEqual({
      name: 'get_organization_users',
      args: { organization: 'dallas-police', query: 'linda_baker', limit: 5 },
    });
    const miss: Done = {
      name: 'get_organization_users',
      args: { organization: 'dallas-police', query: 'linda_baker', limit: 5 },
      outcome: { ok: true, result: { total: 0, members: [] } },
    };
    expect(callOf(plan(q, alex, [listed(visible), miss], ALL))).toMatchObject({
      args: { organization: 'allen-firestation', query: 'linda_baker' },
    });
    const hit: Done = {
      name: 'get_organization_users',
      args: { organization: 'allen-firestation', query: 'linda_baker', limit: 5 },
      outcome: {
        ok: true,
        result: { total: 1, members: [{ username: 'linda_baker', permissions: ['view_records'] }] },
      },
    };
    expect(callOf(plan(q, alex, [listed(visible), miss, hit], ALL))).toEqual({
      name: 'compare_user_permissions',
      args: { organization: 'allen-firestation', usernames: ['linda_baker', 'noah_moore'] },
    });
    const nowhere = { ...hit, outcome: miss.outcome };
    expect((plan(q, alex, [listed(visible), miss, nowhere], ALL) as { answer: string }).answer).toContain(
      'I found no member "linda_baker"',
    );
  });

  it('changes member permissions from the current set (admin only)', () => {
    const q = 'give james_smith manage devices and remove share_evidence in Dallas PD';
    expect(callOf(plan(q, admin, [listed()], ALL))).toEqual({
      name: 'get_organization_users',
      args: { organization: 'dallas-police', query: 'james_smith', limit: 5 },
    });
    const member: Done = {
      name: 'get_organization_users',
      args: { organization: 'dallas-police', query: 'james_smith', limit: 5 },
      outcome: {
        ok: true,
        result: { members: [{ username: 'james_smith', permissions: ['view_records', 'share_evidence'] }] },
      },
    };
    const s = callOf(plan(q, admin, [listed(), member], ALL));
    expect(s).toMatchObject({
      name: 'set_member_permissions',
      args: {
        organization: 'dallas-police',
        username: 'james_smith',
        permissions: ['view_records', 'manage_devices'],
      },
    });
    const notAdmin = new Set([...ALL].filter((t) => t !== 'set_member_permissions'));
    const refused = plan(q, alex, [listed()], notAdmin);
    expect('answer' in refused && refused.answer).toContain('Only administrators change member permissions');
  });

  it('reads organizations the way people say them', () => {
    expect(matchOrganization('tickets for dallas pd', orgs)?.slug).toBe('dallas-police');
    expect(matchOrganization('status of dalas police', orgs)?.slug).toBe('dallas-police');
    expect(matchOrganization('la city users', orgs)?.slug).toBe('la-city');
    expect(matchOrganization('how is allen fire doing', orgs)?.slug).toBe('allen-firestation');
    expect(matchOrganization('the police', orgs)).toBeUndefined();
  });

  it('reads a "how do I" question as a documentation question, never as a create', () => {
    expect(readIntent('How do I create a ticket for a broken dock?', james).kind).toBe('docs');
    expect(readIntent('how do I add a user', admin).kind).toBe('docs');
    expect(readIntent('What firmware version supports LTE offload?', alex).kind).not.toBe('create_ticket');
  });

  it('names Basic mode only where it is why it could not help (the header names it once per screen)', () => {
    const docs = (results: unknown[]): Done => ({
      name: 'search_documentation',
      args: { query: 'q' },
      outcome: { ok: true, result: { results } },
    });
    const withDocs = new Set([...ALL, 'search_documentation']);
    const passage = { title: 'Docks', section: 'Charging', text: 'Seat the camera firmly.', chunkId: 'c1' };
    const found = plan('How do I charge a camera?', alex, [docs([passage])], withDocs);
    expect('answer' in found && found.answer).toContain('Seat the camera firmly.');
    expect('answer' in found && found.answer).not.toMatch(/Basic mode|AI model/);
    const asked = plan('resolve TCK-1012', alex, [], ALL);
    expect('answer' in asked && asked.answer).not.toMatch(/Basic mode|AI model/);
    // Nothing found: it says that Basic mode matched words, and what to do next.
    const none = plan('How do I frobnicate the quux?', alex, [docs([])], withDocs);
    expect('answer' in none && none.answer).toMatch(
      /nothing in the documentation.*Basic mode.*Settings → Model/s,
    );
  });

  it('warms up without I/O and without holding the event loop (a request can be served in between)', async () => {
    let served = 0;
    const tick = setInterval(() => served++, 0);
    try {
      await offlineProvider().warmUp!();
    } finally {
      clearInterval(tick);
    }
    expect(served).toBeGreaterThan(0);
  });
});
