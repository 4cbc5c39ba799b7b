/**
 * The authorization matrix: every tool × every seeded role, against the real server with real tokens.
 * Expected outcomes come from the roles table in DESIGN.md; what a caller may see is checked against the
 * server's own store (read directly), and every refused write must leave it unchanged. On both backends.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '@msi/kit/demo';
import { writeToolNames } from '@msi/kit';
import { TOOLS } from '../src/tools/index.js';
import { backends, call, errorText, startHarness, type Harness } from './harness.js';

type Role = 'customer' | 'agent' | 'supervisor' | 'admin';
type Outcome = 'ok' | 'not_found' | 'refused';
const USERS: Record<Role, string> = {
  customer: 'james_smith',
  agent: 'alex_agent',
  supervisor: 'sam_supervisor',
  admin: 'admin',
};
const ROLES = Object.keys(USERS) as Role[];
const orgsOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.organizations;

interface Row {
  org: string;
  reporter: string;
}
/** The oracle: DESIGN.md's "sees tickets" column. */
function visibleTo(role: Role, t: Row): boolean {
  if (role === 'supervisor' || role === 'admin') return true;
  if (role === 'agent') return orgsOf(USERS.agent).includes(t.org);
  return t.reporter === USERS.customer && orgsOf(USERS.customer).includes(t.org);
}

let stack: Harness;
const clients = {} as Record<Role, Client>;
/** Seeded tickets: james's own; another reporter's in his org; one of an org outside alex's claim. */
const seeded = { own: '', other: '', outside: '' };

const number = async (where: string) => {
  const [row] = await stack.query<{ id: number }>(
    `SELECT id FROM tickets WHERE ${where} ORDER BY id LIMIT 1`,
  );
  return `TCK-${row!.id}`;
};
const allRows = () => stack.query<Row>('SELECT org, reporter FROM tickets');

/** A new ticket for one cell: james's own in dallas-police, or the admin's in la-city (outside alex's claim). */
async function fresh(kind: 'own' | 'outside'): Promise<string> {
  const r = await call(kind === 'own' ? clients.customer : clients.admin, 'create_ticket', {
    org: kind === 'own' ? 'dallas-police' : 'la-city',
    title: `Matrix ticket (${kind})`,
    description: 'Created for one cell of the authorization matrix.',
  });
  expect(r.isError, errorText(r)).toBeFalsy();
  return (r.structuredContent!.ticket as { number: string }).number;
}

interface Cell {
  name: string;
  tool: string;
  /** The ticket the call is about: a seeded one, or a fresh one made for this cell. */
  target?: keyof typeof seeded | { fresh: 'own' | 'outside' };
  args: (number: string) => Record<string, unknown>;
  expect: Record<Role, Outcome>;
  /** Extra checks of a successful answer. */
  check?: (role: Role, result: Record<string, unknown>) => void | Promise<void>;
  /** For refusals: what the message must say. */
  refusal?: RegExp;
}

const all = (o: Outcome): Record<Role, Outcome> => ({ customer: o, agent: o, supervisor: o, admin: o });
const staffOnly: Record<Role, Outcome> = { customer: 'refused', agent: 'ok', supervisor: 'ok', admin: 'ok' };
const seesAllOnly: Record<Role, Outcome> = {
  customer: 'not_found',
  agent: 'not_found',
  supervisor: 'ok',
  admin: 'ok',
};

const MATRIX: Cell[] = [
  {
    name: 'search everything visible',
    tool: 'search_tickets',
    args: () => ({ limit: 100 }),
    expect: all('ok'),
    check: async (role, r) => {
      const tickets = r.tickets as { organization: string; reporter: string }[];
      expect(r.total).toBe((await allRows()).filter((t) => visibleTo(role, t)).length);
      for (const t of tickets)
        expect(visibleTo(role, { org: t.organization, reporter: t.reporter })).toBe(true);
    },
  },
  {
    name: 'search by text',
    tool: 'search_tickets',
    args: () => ({ text: 'camera firmware dock', limit: 100 }),
    expect: all('ok'),
    check: (role, r) => {
      for (const t of r.tickets as { organization: string; reporter: string }[]) {
        expect(visibleTo(role, { org: t.organization, reporter: t.reporter })).toBe(true);
      }
    },
  },
  {
    name: 'get own ticket',
    tool: 'get_ticket',
    target: 'own',
    args: (n) => ({ number: n }),
    expect: all('ok'),
    check: (role, r) => {
      const comments = r.comments as { internal: boolean }[];
      const internal = comments.filter((c) => c.internal).length;
      // The seeded ticket has internal comments: staff see them, the customer never does.
      if (role === 'customer') expect(internal).toBe(0);
      else expect(internal).toBeGreaterThan(0);
      const history = r.history as { after: { internal?: boolean } | null }[];
      if (role === 'customer') expect(history.some((h) => h.after?.internal === true)).toBe(false);
    },
  },
  {
    name: "get another reporter's ticket of the same org",
    tool: 'get_ticket',
    target: 'other',
    args: (n) => ({ number: n }),
    expect: { customer: 'not_found', agent: 'ok', supervisor: 'ok', admin: 'ok' },
  },
  {
    name: 'get a ticket of an org outside the claim',
    tool: 'get_ticket',
    target: 'outside',
    args: (n) => ({ number: n }),
    expect: seesAllOnly,
  },
  {
    name: 'stats',
    tool: 'ticket_stats',
    args: () => ({}),
    expect: all('ok'),
    check: async (role, r) => {
      const rows = (await allRows()).filter((t) => visibleTo(role, t));
      expect(r.total).toBe(rows.length);
      expect(Object.keys(r.byOrganization as object).sort()).toEqual(
        [...new Set(rows.map((t) => t.org))].sort(),
      );
    },
  },
  {
    name: 'create in own org',
    tool: 'create_ticket',
    args: () => ({
      org: 'Dallas Police Department',
      title: 'Dock offline',
      description: 'The 8-bay dock is offline.',
    }),
    expect: all('ok'),
    check: (role, r) => {
      const t = r.ticket as { reporter: string; organization: string; status: string };
      expect(t).toMatchObject({ reporter: USERS[role], organization: 'dallas-police', status: 'open' });
    },
  },
  {
    name: 'create in an org outside the claim',
    tool: 'create_ticket',
    args: () => ({ org: 'la-city', title: 'Dock offline', description: 'The 8-bay dock is offline.' }),
    expect: seesAllOnly,
  },
  {
    name: 'change status',
    tool: 'update_ticket',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, status: 'in_progress' }),
    expect: staffOnly,
    refusal: /customers cannot change/,
    check: (_role, r) => expect(r.changed).toEqual(['status']),
  },
  {
    name: 'change priority',
    tool: 'update_ticket',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, priority: 'urgent' }),
    expect: staffOnly,
    refusal: /customers cannot change/,
    check: (_role, r) => expect((r.ticket as { priority: string }).priority).toBe('urgent'),
  },
  {
    name: 'assign',
    tool: 'update_ticket',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, assignee: 'alex_agent' }),
    expect: { customer: 'refused', agent: 'refused', supervisor: 'ok', admin: 'ok' },
    refusal: /customers cannot change|only supervisors and admins assign/,
  },
  {
    name: 'change status of a ticket outside the claim',
    tool: 'update_ticket',
    target: { fresh: 'outside' },
    args: (n) => ({ number: n, status: 'in_progress' }),
    expect: seesAllOnly,
  },
  {
    name: 'public comment on own ticket',
    tool: 'add_comment',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, body: 'Any news on this?' }),
    expect: all('ok'),
    check: (role, r) => expect(r.comment).toMatchObject({ author: USERS[role], internal: false }),
  },
  {
    name: 'internal comment',
    tool: 'add_comment',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, body: 'Looks like the known dock defect.', internal: true }),
    expect: staffOnly,
    refusal: /only support staff/,
  },
  {
    name: "comment on another reporter's ticket",
    tool: 'add_comment',
    target: 'other',
    args: (n) => ({ number: n, body: 'Hello' }),
    expect: { customer: 'not_found', agent: 'ok', supervisor: 'ok', admin: 'ok' },
  },
  {
    name: 'comment on a ticket outside the claim',
    tool: 'add_comment',
    target: { fresh: 'outside' },
    args: (n) => ({ number: n, body: 'Hello' }),
    expect: seesAllOnly,
  },
  {
    name: 'resolve',
    tool: 'resolve_ticket',
    target: { fresh: 'own' },
    args: (n) => ({ number: n, resolution: 'Replaced the dock power supply.' }),
    expect: staffOnly,
    refusal: /only support staff/,
    check: (_role, r) =>
      expect(r.ticket).toMatchObject({ status: 'resolved', resolution: 'Replaced the dock power supply.' }),
  },
  {
    name: 'resolve a ticket outside the claim',
    tool: 'resolve_ticket',
    target: { fresh: 'outside' },
    args: (n) => ({ number: n, resolution: 'Fixed.' }),
    expect: seesAllOnly,
  },
];

const WRITE_TOOLS = writeToolNames(TOOLS);

describe.each(backends())('on %s', (backend) => {
  beforeAll(async () => {
    stack = await startHarness({}, backend);
    for (const role of ROLES) clients[role] = await stack.client(USERS[role]);
    seeded.own = await number(
      "reporter = 'james_smith' AND status <> 'closed' AND EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = tickets.id AND c.internal = TRUE)",
    );
    seeded.other = await number(
      "org = 'dallas-police' AND reporter <> 'james_smith' AND status IN ('open', 'in_progress')",
    );
    seeded.outside = await number("org = 'la-city' AND status IN ('open', 'in_progress')");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('authorization matrix', () => {
    it('covers every tool', () => {
      expect(new Set(MATRIX.map((c) => c.tool))).toEqual(new Set(TOOLS.map((t) => t.name)));
    });

    for (const cell of MATRIX) {
      for (const role of ROLES) {
        const outcome = cell.expect[role];
        it(`${cell.tool}: ${cell.name} as ${role} (${USERS[role]}) → ${outcome}`, async () => {
          const target =
            cell.target === undefined
              ? ''
              : typeof cell.target === 'string'
                ? seeded[cell.target]
                : await fresh(cell.target.fresh);
          const before = await stack.snapshot();
          const r = await call(clients[role], cell.tool, cell.args(target));
          if (outcome === 'ok') {
            expect(r.isError, errorText(r)).toBeFalsy();
            await cell.check?.(role, r.structuredContent!);
            if (WRITE_TOOLS.includes(cell.tool)) expect(await stack.snapshot()).not.toBe(before);
            return;
          }
          expect(r.isError).toBe(true);
          if (outcome === 'not_found') expect(errorText(r)).toMatch(/not found/);
          else {
            expect(errorText(r)).not.toMatch(/not found/);
            expect(errorText(r)).toMatch(cell.refusal!);
          }
          expect(await stack.snapshot()).toBe(before);
        });
      }
    }
  });

  describe('what each caller can see', () => {
    it('a customer never sees another reporter’s ticket, by number, search or stats', async () => {
      const others = await stack.query<{ id: number }>(
        "SELECT id FROM tickets WHERE reporter <> 'james_smith' ORDER BY id LIMIT 25",
      );
      for (const { id } of others) {
        const r = await call(clients.customer, 'get_ticket', { number: `TCK-${id}` });
        expect(errorText(r)).toBe(`ticket TCK-${id} not found`);
      }
      const s = await call(clients.customer, 'search_tickets', { reporter: 'linda_baker' });
      expect(s.structuredContent!.total).toBe(0);
      const org = await call(clients.customer, 'search_tickets', { org: 'allen-firestation' });
      expect(errorText(org)).toMatch(/org: organization "allen-firestation" not found/);
    });

    it('an agent never sees a ticket of an organization outside the claim', async () => {
      const outside = await stack.query<{ id: number }>(
        `SELECT id FROM tickets WHERE org NOT IN (${orgsOf('alex_agent')
          .map(() => '?')
          .join(',')}) LIMIT 25`,
        ...orgsOf('alex_agent'),
      );
      expect(outside.length).toBeGreaterThan(0);
      for (const { id } of outside) {
        expect(errorText(await call(clients.agent, 'get_ticket', { number: `TCK-${id}` }))).toMatch(
          /not found/,
        );
      }
      const riley = await stack.client('riley_agent');
      const mine = await call(riley, 'search_tickets', { limit: 100 });
      for (const t of mine.structuredContent!.tickets as { organization: string }[]) {
        expect(orgsOf('riley_agent')).toContain(t.organization);
      }
      expect(errorText(await call(riley, 'get_ticket', { number: seeded.own }))).toMatch(/not found/);
      expect(errorText(await call(clients.agent, 'ticket_stats', { org: 'la-city' }))).toMatch(
        /org: organization "la-city" not found/,
      );
    });

    it('a customer’s text search never matches internal comments', async () => {
      const note = await call(clients.agent, 'add_comment', {
        number: seeded.own,
        body: 'Internal: the zeppelin firmware branch has the fix.',
        internal: true,
      });
      expect(note.isError, errorText(note)).toBeFalsy();
      const staff = await call(clients.agent, 'search_tickets', { text: 'zeppelin' });
      expect((staff.structuredContent!.tickets as { number: string }[]).map((t) => t.number)).toEqual([
        seeded.own,
      ]);
      const own = await call(clients.customer, 'search_tickets', { text: 'zeppelin' });
      expect(own.structuredContent!.total).toBe(0);
    });

    it('resources and prompts follow the same rules', async () => {
      const own = await clients.customer.readResource({ uri: `ticket://${seeded.own}` });
      const body = JSON.parse((own.contents[0] as { text: string }).text) as {
        comments: { internal: boolean }[];
      };
      expect(body.comments.every((c) => !c.internal)).toBe(true);
      await expect(clients.customer.readResource({ uri: `ticket://${seeded.other}` })).rejects.toThrow(
        /not found/,
      );
      await expect(clients.agent.readResource({ uri: `ticket://${seeded.outside}` })).rejects.toThrow(
        /not found/,
      );
      const listed = await clients.customer.listResources();
      expect(listed.resources.length).toBeGreaterThan(0);
      for (const r of listed.resources) {
        const id = Number(r.uri.replace('ticket://TCK-', ''));
        expect(await stack.query('SELECT reporter FROM tickets WHERE id = ?', id)).toEqual([
          { reporter: 'james_smith' },
        ]);
      }
      const p = await clients.agent.getPrompt({
        name: 'summarize_ticket',
        arguments: { number: seeded.own },
      });
      expect(JSON.stringify(p.messages)).toContain(seeded.own);
      const reply = await clients.customer.getPrompt({
        name: 'draft_reply',
        arguments: { number: seeded.own },
      });
      expect(JSON.stringify(reply.messages)).not.toContain('(internal)');
      await expect(
        clients.customer.getPrompt({ name: 'summarize_ticket', arguments: { number: seeded.other } }),
      ).rejects.toThrow(/not found/);
    });
  });
});
