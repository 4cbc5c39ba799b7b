/**
 * The offline provider over the real stack (IDP, both MCP servers, Chroma, API as processes): each kind
 * of request, for a customer (james_smith) and an agent (alex_agent), with the answers checked against
 * the MCP servers' own SQLite files.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '@msi/kit/demo';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

let stack: Stack;
let tickets: Database.Database;
let orgs: Database.Database;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  tickets = new Database(join(stack.dataDir, 'ticketing', 'ticketing.sqlite'), { readonly: true });
  orgs = new Database(join(stack.dataDir, 'organizations', 'organizations.sqlite'), { readonly: true });
  for (const u of ['james_smith', 'alex_agent', 'sam_supervisor', 'admin']) tokens[u] = await stack.login(u);
});
afterAll(async () => {
  tickets?.close();
  orgs?.close();
  await stack?.stop();
});

async function ask(user: string, content: string, onEvent?: Parameters<typeof sendMessage>[4]) {
  const conv = await call<{ id: string }>(stack.api.url, tokens[user]!, 'POST', '/api/conversations', {});
  expect(conv.status).toBe(201);
  const turn = await sendMessage(stack.api.url, tokens[user]!, conv.body.id, content, onEvent);
  expect(turn.status).toBe(200);
  return { ...turn, conversationId: conv.body.id };
}

const count = (db: Database.Database, sql: string, ...params: unknown[]) =>
  (db.prepare(sql).get(...params) as { n: number }).n;
const toolNames = (t: { of(n: string): Record<string, unknown>[] }) =>
  t.of('tool.started').map((e) => e.tool);

describe('offline provider', () => {
  it('says it is offline', async () => {
    const me = await call(stack.api.url, tokens.james_smith!, 'GET', '/api/me');
    expect(me.body).toMatchObject({ username: 'james_smith', provider: 'offline', roles: ['customer'] });
  });

  it('my tickets: the customer gets the tickets they reported, the agent those assigned to them', async () => {
    for (const [user, column] of [
      ['james_smith', 'reporter'],
      ['alex_agent', 'assignee'],
    ] as const) {
      const t = await ask(user, 'Show my tickets');
      expect(toolNames(t)).toEqual(['search_tickets']);
      const n = count(tickets, `SELECT count(*) n FROM tickets WHERE ${column} = ?`, user);
      expect(n).toBeGreaterThan(0);
      expect(t.of('tool.completed')[0]).toMatchObject({ ok: true, result: { total: n } });
      expect(t.text).toContain(`**${n}** ticket`);
      expect(t.of('done')).toHaveLength(1);
    }
  });

  it("tickets of an organization: the agent sees the org's tickets, the customer only their own", async () => {
    const agent = await ask('alex_agent', 'List the tickets of Dallas Police');
    expect(toolNames(agent)).toEqual(['list_organizations', 'search_tickets']);
    const all = count(tickets, "SELECT count(*) n FROM tickets WHERE org = 'dallas-police'");
    expect(agent.of('tool.completed')[1]).toMatchObject({ ok: true, result: { total: all } });
    const customer = await ask('james_smith', 'List the tickets of Dallas Police');
    const own = count(
      tickets,
      "SELECT count(*) n FROM tickets WHERE org = 'dallas-police' AND reporter = 'james_smith'",
    );
    expect(own).toBeLessThan(all);
    expect(customer.of('tool.completed')[1]).toMatchObject({ ok: true, result: { total: own } });
  });

  it('a request that needs an organization asks which, and the answer carries the request on', async () => {
    const first = await ask('alex_agent', 'Create a ticket: DS-8 bay 3 shows a red LED');
    expect(first.text).toContain('Please say which organization');
    expect(first.of('approval.required')).toHaveLength(0);
    let approvalArgs: Record<string, unknown> | undefined;
    const second = await sendMessage(
      stack.api.url,
      tokens.alex_agent!,
      first.conversationId,
      'Allen Fire Station',
      async (e) => {
        if (e.event !== 'approval.required') return;
        approvalArgs = e.data.args as Record<string, unknown>;
        await call(stack.api.url, tokens.alex_agent!, 'POST', `/api/approvals/${String(e.data.approvalId)}`, {
          decision: 'deny',
        });
      },
    );
    expect(approvalArgs).toMatchObject({ org: 'allen-firestation', title: 'DS-8 bay 3 shows a red LED' });
    expect(second.text).toContain('You declined, so the ticket was **not created**');
    expect(
      count(tickets, 'SELECT count(*) n FROM tickets WHERE title = ?', 'DS-8 bay 3 shows a red LED'),
    ).toBe(0);
  });

  it("ticket counts and priority filters match the database, within the agent's organizations", async () => {
    const claim = DEMO_USERS.find((u) => u.username === 'alex_agent')!.organizations;
    const inClaim = `org IN (${claim.map(() => '?').join(',')})`;
    const stats = await ask('alex_agent', 'How many tickets are there?');
    expect(toolNames(stats)).toEqual(['list_organizations', 'ticket_stats']);
    const total = count(tickets, `SELECT count(*) n FROM tickets WHERE ${inClaim}`, ...claim);
    expect(stats.of('tool.completed')[1]).toMatchObject({ ok: true, result: { total } });
    expect(stats.text).toContain(`**${total}** tickets`);
    const urgent = await ask('alex_agent', 'How many urgent tickets are there?');
    expect(toolNames(urgent)).toEqual(['list_organizations', 'search_tickets']);
    const n = count(
      tickets,
      `SELECT count(*) n FROM tickets WHERE priority = 'urgent' AND ${inClaim}`,
      ...claim,
    );
    expect(n).toBeGreaterThan(0);
    expect(urgent.of('tool.completed')[1]).toMatchObject({ ok: true, result: { total: n } });
  });

  it('users of an organization match its members', async () => {
    for (const [user, q, slug] of [
      ['alex_agent', 'Who are the users of Allen Fire Station?', 'allen-firestation'],
      ['james_smith', 'Show the users of Dallas Police', 'dallas-police'],
    ] as const) {
      const t = await ask(user, q);
      const n = count(
        orgs,
        'SELECT count(*) n FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = ?',
        slug,
      );
      expect(t.of('tool.completed').at(-1)).toMatchObject({ ok: true, result: { total: n } });
      const names = orgs
        .prepare('SELECT m.username FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = ?')
        .all(slug) as { username: string }[];
      for (const { username } of names) expect(t.text).toContain(`| ${username} |`);
    }
  });

  it('an organization the person may not see is "not found"', async () => {
    const t = await ask('james_smith', 'What is the status of Atlanta Police Department?');
    expect(t.text).toContain('no organization "Atlanta Police Department"');
    expect(toolNames(t)).toEqual(['list_organizations']);
  });

  it('organization status comes from its deployments', async () => {
    for (const [user, q, slug] of [
      ['alex_agent', 'What is the status of Atlanta Police?', 'atlanta-police'],
      ['james_smith', 'status of Dallas Police', 'dallas-police'],
    ] as const) {
      const t = await ask(user, q);
      const row = orgs.prepare('SELECT status FROM organizations WHERE slug = ?').get(slug) as {
        status: string;
      };
      expect(toolNames(t)).toContain('get_organization');
      expect(t.text).toContain(`overall status **${row.status}**`);
      const products = orgs
        .prepare(
          'SELECT d.product, d.status, d.version FROM deployments d JOIN organizations o ON o.id = d.org_id WHERE o.slug = ?',
        )
        .all(slug) as { product: string; status: string; version: string }[];
      expect(products.length).toBeGreaterThan(0);
      for (const p of products) expect(t.text).toContain(`| ${p.product} | ${p.status} | ${p.version} |`);
    }
  });

  it('compares the permissions of two members', async () => {
    const other = orgs
      .prepare(
        "SELECT m.username FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = 'dallas-police' AND m.username != 'james_smith' ORDER BY m.username LIMIT 1",
      )
      .get() as { username: string };
    const perms = (u: string) =>
      (
        orgs
          .prepare(
            "SELECT p.permission FROM member_permissions p JOIN members m ON m.id = p.member_id JOIN organizations o ON o.id = m.org_id WHERE o.slug = 'dallas-police' AND m.username = ?",
          )
          .all(u) as { permission: string }[]
      ).map((r) => r.permission);
    for (const user of ['alex_agent', 'james_smith']) {
      const t = await ask(user, `Compare permissions of james_smith and ${other.username} in Dallas Police`);
      expect(toolNames(t)).toContain('compare_user_permissions');
      const result = t.of('tool.completed').at(-1)!.result as {
        members: { username: string; permissions: string[] }[];
      };
      expect(result.members.find((m) => m.username === 'james_smith')!.permissions.sort()).toEqual(
        perms('james_smith').sort(),
      );
      expect(result.members.find((m) => m.username === other.username)!.permissions.sort()).toEqual(
        perms(other.username).sort(),
      );
      expect(t.text).toContain(`| Permission | james_smith | ${other.username} |`);
    }
  });

  it('creates a ticket only after approval; a denied one is not written', async () => {
    const title = `Dock bay 3 shows a red light ${Date.now()}`;
    const yes = await ask('james_smith', `Create a ticket: ${title}`, async (e) => {
      if (e.event === 'approval.required') {
        expect(e.data).toMatchObject({ tool: 'create_ticket', args: { org: 'dallas-police', title } });
        const r = await call(
          stack.api.url,
          tokens.james_smith!,
          'POST',
          `/api/approvals/${String(e.data.approvalId)}`,
          {
            decision: 'approve',
          },
        );
        expect(r.status).toBe(200);
      }
    });
    const row = tickets.prepare('SELECT id, reporter, org FROM tickets WHERE title = ?').get(title) as
      { id: number; reporter: string; org: string } | undefined;
    expect(row).toMatchObject({ reporter: 'james_smith', org: 'dallas-police' });
    expect(yes.text).toContain(`Created **TCK-${row!.id}**`);

    const title2 = `Aware alert feed is delayed ${Date.now()}`;
    const no = await ask('alex_agent', `Create a ticket for Allen Fire Station: ${title2}`, async (e) => {
      if (e.event === 'approval.required') {
        // Someone else cannot decide it: their approval id does not exist for them.
        const other = await call(
          stack.api.url,
          tokens.james_smith!,
          'POST',
          `/api/approvals/${String(e.data.approvalId)}`,
          {
            decision: 'approve',
          },
        );
        expect(other.status).toBe(404);
        await call(stack.api.url, tokens.alex_agent!, 'POST', `/api/approvals/${String(e.data.approvalId)}`, {
          decision: 'deny',
        });
      }
    });
    expect(count(tickets, 'SELECT count(*) n FROM tickets WHERE title = ?', title2)).toBe(0);
    expect(no.of('tool.completed')[1]).toMatchObject({ ok: false });
    expect(no.text).toContain('not created');
    const saved = await call<{ messages: { toolCalls: { approval?: { decision: string } }[] }[] }>(
      stack.api.url,
      tokens.alex_agent!,
      'GET',
      `/api/conversations/${no.conversationId}`,
    );
    expect(saved.body.messages[1]!.toolCalls[1]!.approval?.decision).toBe('denied');
  });

  it('anything else is answered from the documentation, with citations', async () => {
    for (const user of ['alex_agent', 'james_smith']) {
      const t = await ask(user, 'How do I update the firmware of a body camera?');
      expect(toolNames(t)).toEqual(['search_documentation']);
      const sources = t.of('citations')[0]!.sources as { title: string; section: string; chunkId: string }[];
      expect(sources.length).toBeGreaterThan(0);
      expect(t.text).toContain(sources[0]!.title);
      expect(sources.map((s) => s.title).join(' ')).toMatch(/firmware/i);
    }
  });
});

/** An onEvent that decides every approval of `user` and keeps the arguments each was asked for. */
function deciding(user: string, decision: 'approve' | 'deny') {
  const asked: Record<string, unknown>[] = [];
  const onEvent: Parameters<typeof sendMessage>[4] = async (e) => {
    if (e.event !== 'approval.required') return;
    asked.push(e.data.args as Record<string, unknown>);
    await call(stack.api.url, tokens[user]!, 'POST', `/api/approvals/${String(e.data.approvalId)}`, {
      decision,
    });
  };
  return { asked, onEvent };
}

describe('basic mode: the verbs of every tool, over the real servers', () => {
  const openTicket = (org: string, offset = 0) =>
    tickets
      .prepare(
        "SELECT id, assignee, priority FROM tickets WHERE org = ? AND status = 'open' ORDER BY id LIMIT 1 OFFSET ?",
      )
      .get(org, offset) as { id: number; assignee: string | null; priority: string };

  it('a supervisor assigns a ticket written as "TCK 1234", after approval', async () => {
    const t = openTicket('dallas-police');
    const who = t.assignee === 'alex_agent' ? 'sam_supervisor' : 'alex_agent';
    const d = deciding('sam_supervisor', 'approve');
    const r = await ask('sam_supervisor', `assign TCK ${t.id} to ${who}`, d.onEvent);
    expect(d.asked).toEqual([{ number: `TCK-${t.id}`, assignee: who }]);
    const row = tickets.prepare('SELECT assignee FROM tickets WHERE id = ?').get(t.id) as {
      assignee: string;
    };
    expect(row.assignee).toBe(who);
    expect(r.text).toContain(`Updated **TCK-${t.id}** (assignee)`);
  });

  it("an agent's assignment is refused by the ticket service, and the answer says why", async () => {
    const t = openTicket('dallas-police', 1);
    const d = deciding('alex_agent', 'approve');
    const r = await ask('alex_agent', `assign ticket ${t.id} to riley_agent`, d.onEvent);
    expect(r.text).toContain('only supervisors and admins assign tickets');
    const row = tickets.prepare('SELECT assignee FROM tickets WHERE id = ?').get(t.id) as {
      assignee: string | null;
    };
    expect(row.assignee).toBe(t.assignee);
  });

  it('an agent changes priority, adds an internal comment and resolves; a denied change is not made', async () => {
    const t = openTicket('allen-firestation');
    const next = t.priority === 'urgent' ? 'low' : 'urgent';
    await ask('alex_agent', `set tck-${t.id} priority to ${next}`, deciding('alex_agent', 'approve').onEvent);
    expect(
      (tickets.prepare('SELECT priority FROM tickets WHERE id = ?').get(t.id) as { priority: string })
        .priority,
    ).toBe(next);

    const body = `Called the station, dock PSU swapped ${Date.now()}`;
    const c = await ask(
      'alex_agent',
      `internal note on #${t.id}: ${body}`,
      deciding('alex_agent', 'approve').onEvent,
    );
    expect(c.text).toContain('an **internal** comment');
    expect(
      tickets.prepare('SELECT internal FROM comments WHERE ticket_id = ? AND body = ?').get(t.id, body),
    ).toEqual({
      internal: 1,
    });

    const denied = await ask('alex_agent', `close TCK-${t.id}`, deciding('alex_agent', 'deny').onEvent);
    expect(denied.text).toContain(`You declined, so TCK-${t.id} was **not changed**`);
    expect(
      (tickets.prepare('SELECT status FROM tickets WHERE id = ?').get(t.id) as { status: string }).status,
    ).toBe('open');

    await ask(
      'alex_agent',
      `resolve TCK-${t.id}: replaced the dock power supply`,
      deciding('alex_agent', 'approve').onEvent,
    );
    expect(tickets.prepare('SELECT status, resolution FROM tickets WHERE id = ?').get(t.id)).toEqual({
      status: 'resolved',
      resolution: 'replaced the dock power supply',
    });
  });

  it('counts in words that keep the filter', async () => {
    const r = await ask('james_smith', 'how many closed urgent tickets do I have?');
    const n = count(
      tickets,
      "SELECT count(*) n FROM tickets WHERE reporter = 'james_smith' AND status = 'closed' AND priority = 'urgent'",
    );
    expect(r.text).toContain(
      n === 0
        ? 'You have no urgent closed tickets'
        : `You have **${n}** ticket${n === 1 ? ' that is' : 's that are'} closed and urgent`,
    );
  });

  it('a count that finds tickets keeps the filter too, and the number next to "tickets"', async () => {
    const r = await ask('alex_agent', 'open tickets for allen fire');
    const n = count(
      tickets,
      "SELECT count(*) n FROM tickets WHERE org = 'allen-firestation' AND status IN ('open','in_progress','waiting_on_customer')",
    );
    expect(n).toBeGreaterThan(0);
    expect(r.text).toContain(
      `Allen Fire Station has **${n}** ticket${n === 1 ? ' that is' : 's that are'} open`,
    );
  });

  it('compares two members in the organization they share, found without being named', async () => {
    const pair = orgs
      .prepare(
        "SELECT m.username FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = 'allen-firestation' ORDER BY m.username LIMIT 2",
      )
      .all() as { username: string }[];
    const r = await ask('alex_agent', `compare permissions of ${pair[0]!.username} and ${pair[1]!.username}`);
    expect(r.of('tool.started').at(-1)).toMatchObject({
      tool: 'compare_user_permissions',
      args: { organization: 'allen-firestation' },
    });
    expect(r.text).toContain('Permissions in **Allen Fire Station**');
  });

  it('an admin grants a member permission; the organizations database has the new set', async () => {
    const member = orgs
      .prepare(
        "SELECT m.id, m.username FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = 'la-city' AND m.username != 'paul_morgan' AND m.id NOT IN (SELECT member_id FROM member_permissions WHERE permission = 'manage_devices') LIMIT 1",
      )
      .get() as { id: number; username: string };
    const d = deciding('admin', 'approve');
    const r = await ask('admin', `give ${member.username} manage devices in LA City`, d.onEvent);
    expect(d.asked[0]).toMatchObject({ organization: 'la-city', username: member.username });
    expect(d.asked[0]!.permissions).toContain('manage_devices');
    const now = (
      orgs.prepare('SELECT permission FROM member_permissions WHERE member_id = ?').all(member.id) as {
        permission: string;
      }[]
    ).map((p) => p.permission);
    expect(now).toContain('manage_devices');
    expect(r.text).toContain(`Permissions of **${member.username}** in **City of Los Angeles** are now`);
  });

  it('"how do I create a ticket" is answered from the documentation, and creates nothing', async () => {
    const r = await ask('james_smith', 'How do I create a ticket for a broken dock?');
    expect(toolNames(r)).toEqual(['search_documentation']);
    expect(r.of('approval.required')).toHaveLength(0);
  });
});
