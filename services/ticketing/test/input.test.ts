/**
 * Bad input over real HTTP: each case must give a tool error that names the field and the problem, the
 * server must stay up, and a refused write must leave the store exactly as it was. On both backends.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, errorText, execDb, startHarness, type Harness } from './harness.js';
import { SLA_HOURS } from '../src/model.js';

let stack: Harness;
let admin: Client;
const t = { open: '', closed: '', resolved: '' };

const first = async (where: string) =>
  `TCK-${(await stack.query<{ id: number }>(`SELECT id FROM tickets WHERE ${where} ORDER BY id LIMIT 1`))[0]!.id}`;
const count = async (text: string, ...params: unknown[]) =>
  (await stack.query<{ n: number }>(text, ...params))[0]!.n;
/** JSON text (SQLite) or jsonb (PostgreSQL), parsed. */
const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

const long = (n: number) => 'x'.repeat(n);
const ticket = {
  org: 'dallas-police',
  title: 'Dock offline',
  description: 'The dock at Station 3 is offline.',
};

/** [tool, arguments, what the error must say] */
const CASES: [string, () => Record<string, unknown>, RegExp][] = [
  ['create_ticket', () => ({ ...ticket, title: '' }), /must not be empty at title/],
  ['create_ticket', () => ({ ...ticket, title: '   ' }), /must not be empty at title/],
  ['create_ticket', () => ({ ...ticket, description: '' }), /must not be empty at description/],
  ['create_ticket', () => ({ ...ticket, title: long(201) }), /at most 200 characters at title/],
  [
    'create_ticket',
    () => ({ ...ticket, description: long(10_001) }),
    /at most 10000 characters at description/,
  ],
  ['create_ticket', () => ({ org: 'dallas-police', description: 'x' }), /Required at title/],
  ['create_ticket', () => ({ ...ticket, title: 42 }), /Expected string, received number at title/],
  ['create_ticket', () => ({ ...ticket, priority: 'critical' }), /priority/],
  ['create_ticket', () => ({ ...ticket, category: 7 }), /category/],
  ['create_ticket', () => ({ ...ticket, reporter: 'someone_else' }), /Unrecognized key.*reporter/],
  [
    'create_ticket',
    () => ({ ...ticket, org: 'Nowhere Police' }),
    /org: organization "Nowhere Police" not found/,
  ],
  ['create_ticket', () => ({ ...ticket, org: "dallas-police' OR '1'='1" }), /org: organization .* not found/],
  ['create_ticket', () => ({ title: 'x', description: 'y' }), /org: say which organization/],
  ['get_ticket', () => ({ number: '' }), /must not be empty at number/],
  ['get_ticket', () => ({ number: 1042 }), /Expected string, received number at number/],
  ['get_ticket', () => ({ number: 'TCK-99999999' }), /ticket TCK-99999999 not found/],
  ['get_ticket', () => ({ number: "1' OR 1=1 --" }), /not found/],
  ['get_ticket', () => ({}), /Required at number/],
  ['update_ticket', () => ({ number: t.open }), /give at least one of status, priority or assignee/],
  ['update_ticket', () => ({ number: t.open, status: 'resolved' }), /status: use resolve_ticket/],
  ['update_ticket', () => ({ number: t.open, status: 'done' }), /status/],
  [
    'update_ticket',
    () => ({ number: t.closed, status: 'open' }),
    /status: a closed ticket cannot become open \(closed tickets are final\)/,
  ],
  [
    'update_ticket',
    () => ({ number: t.resolved, status: 'in_progress' }),
    /status: a resolved ticket cannot become in_progress \(allowed: open, closed\)/,
  ],
  ['update_ticket', () => ({ number: t.closed, priority: 'urgent' }), /priority: closed tickets are final/],
  [
    'update_ticket',
    () => ({ number: t.open, assignee: 'nobody_here' }),
    /assignee: no support staff member is named "nobody_here"/,
  ],
  ['update_ticket', () => ({ number: t.open, assignee: 'james_smith' }), /assignee: no support staff member/],
  [
    'update_ticket',
    () => ({ number: t.open, assignee: 'riley_agent' }),
    /assignee: riley_agent does not support dallas-police/,
  ],
  ['update_ticket', () => ({ number: t.open, assignee: '' }), /must not be empty at assignee/],
  ['update_ticket', () => ({ number: 'TCK-1', status: 'open' }), /ticket TCK-1 not found/],
  [
    'create_ticket',
    () => ({ ...ticket, title: 'Dock \ud83d offline' }),
    /not well-formed Unicode.* at title/,
  ],
  [
    'add_comment',
    () => ({ number: t.open, body: 'half an emoji \udea8' }),
    /not well-formed Unicode.* at body/,
  ],
  ['add_comment', () => ({ number: t.open, body: '' }), /must not be empty at body/],
  ['add_comment', () => ({ number: t.open, body: long(10_001) }), /at most 10000 characters at body/],
  [
    'add_comment',
    () => ({ number: t.open, body: 'hi', internal: 'yes' }),
    /Expected boolean, received string at internal/,
  ],
  ['add_comment', () => ({ number: t.closed, body: 'hello' }), /is closed; open a new ticket instead/],
  ['resolve_ticket', () => ({ number: t.open, resolution: '' }), /must not be empty at resolution/],
  [
    'resolve_ticket',
    () => ({ number: t.open, resolution: long(5_001) }),
    /at most 5000 characters at resolution/,
  ],
  ['resolve_ticket', () => ({ number: t.resolved, resolution: 'again' }), /status: .* is already resolved/],
  ['resolve_ticket', () => ({ number: t.closed, resolution: 'again' }), /is already closed/],
  ['search_tickets', () => ({ limit: 0 }), /limit/],
  ['search_tickets', () => ({ limit: 101 }), /limit/],
  ['search_tickets', () => ({ offset: -1 }), /offset/],
  ['search_tickets', () => ({ status: 'bogus' }), /status/],
  ['search_tickets', () => ({ text: '' }), /must not be empty at text/],
  ['search_tickets', () => ({ text: long(201) }), /at most 200 characters at text/],
  ['search_tickets', () => ({ text: '!!! --- ***' }), /text: give at least one word or number/],
  ['search_tickets', () => ({ org: 'Gotham PD' }), /org: organization "Gotham PD" not found/],
  ['ticket_stats', () => ({ org: '' }), /must not be empty at org/],
  ['ticket_stats', () => ({ extra: 1 }), /Unrecognized key.*extra/],
];

describe.each(backends())('on %s', (backend) => {
  beforeAll(async () => {
    stack = await startHarness({}, backend);
    admin = await stack.client('admin');
    t.open = await first("status = 'open' AND org = 'dallas-police'");
    t.closed = await first("status = 'closed'");
    t.resolved = await first("status = 'resolved'");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('bad input is refused with the field and the problem, and nothing is written', () => {
    for (const [tool, args, message] of CASES) {
      it(`${tool} ${JSON.stringify(args.toString().slice(6, 90))} → ${message.source}`, async () => {
        const before = await stack.snapshot();
        const r = await call(admin, tool, args());
        expect(r.isError).toBe(true);
        expect(errorText(r)).toMatch(message);
        expect(await stack.snapshot()).toBe(before);
      });
    }

    it('the server is still healthy afterwards', async () => {
      expect((await fetch(`${stack.ticketing.url}/healthz`)).status).toBe(200);
    });
  });

  describe('SQL-looking and operator-looking strings are just text', () => {
    it('stores them verbatim and leaves the tables intact', async () => {
      const title = "Robert'); DROP TABLE tickets;--";
      const description = "1' OR '1'='1; DELETE FROM events; /* \"quoted\" */ NEAR(camera, 2) title:dock *";
      const r = await call(admin, 'create_ticket', { ...ticket, title, description });
      expect(r.isError, errorText(r)).toBeFalsy();
      const number = (r.structuredContent!.ticket as { number: string }).number;
      const rows = await stack.query(
        'SELECT title, description FROM tickets WHERE id = ?',
        Number(number.slice(4)),
      );
      expect(rows).toEqual([{ title, description }]);
      expect(await count('SELECT count(*) AS n FROM tickets')).toBeGreaterThan(300);
    });

    it('search treats them as words, never as SQL or FTS syntax', async () => {
      const all = await count('SELECT count(*) AS n FROM tickets');
      for (const text of [
        "' OR 1=1 --",
        'NEAR(camera dock',
        'title:dock',
        '"unbalanced',
        'camera*',
        'AND OR NOT',
      ]) {
        const r = await call(admin, 'search_tickets', { text });
        expect(r.isError, `${text}: ${errorText(r)}`).toBeFalsy();
        expect(r.structuredContent!.total as number).toBeLessThan(all);
      }
      const bobby = await call(admin, 'search_tickets', { text: 'DROP TABLE tickets' });
      expect((bobby.structuredContent!.tickets as { title: string }[])[0]?.title).toBe(
        "Robert'); DROP TABLE tickets;--",
      );
    });
  });

  describe('valid changes', () => {
    it('follow the transitions and write one event each, in the same transaction as the change', async () => {
      const id = Number(t.open.slice(4));
      const events = () => count('SELECT count(*) AS n FROM events WHERE ticket_id = ?', id);
      const before = await events();
      const steps: Record<string, unknown>[] = [
        { status: 'in_progress' },
        { status: 'waiting_on_customer', priority: 'high' },
        { assignee: 'alex_agent' },
      ];
      for (const step of steps) {
        const r = await call(admin, 'update_ticket', { number: t.open, ...step });
        expect(r.isError, errorText(r)).toBeFalsy();
      }
      const again = await call(admin, 'update_ticket', { number: t.open, assignee: 'alex_agent' });
      expect(again.structuredContent!.changed).toEqual([]);
      const resolved = await call(admin, 'resolve_ticket', { number: t.open, resolution: 'Dock replaced.' });
      expect(resolved.structuredContent!.ticket).toMatchObject({
        status: 'resolved',
        resolution: 'Dock replaced.',
      });
      expect(await events()).toBe(before + 4);
      const [last] = await stack.query<Record<string, unknown>>(
        'SELECT actor, action, before, after FROM events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1',
        id,
      );
      expect({ ...last, before: json(last!.before), after: json(last!.after) }).toEqual({
        actor: 'admin',
        action: 'resolved',
        before: { status: 'waiting_on_customer' },
        after: { status: 'resolved', resolution: 'Dock replaced.' },
      });
      const reopened = await call(admin, 'update_ticket', { number: t.open, status: 'open' });
      expect(reopened.structuredContent!.ticket).toMatchObject({
        status: 'open',
        resolution: null,
        resolvedAt: null,
      });
    });

    it('parallel creates get distinct numbers, each with its event', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(admin, 'create_ticket', { ...ticket, title: `Parallel ${i}` }),
        ),
      );
      const numbers = results.map((r) => (r.structuredContent!.ticket as { number: string }).number);
      expect(new Set(numbers).size).toBe(12);
      for (const n of numbers) {
        const created = await count(
          "SELECT count(*) AS n FROM events WHERE ticket_id = ? AND action = 'created'",
          Number(n.slice(4)),
        );
        expect(created).toBe(1);
      }
    });

    it('priority changes move the SLA due time', async () => {
      const c = await call(admin, 'create_ticket', { ...ticket, priority: 'low' });
      const tk = c.structuredContent!.ticket as { number: string; createdAt: string; slaDueAt: string };
      expect(Date.parse(tk.slaDueAt) - Date.parse(tk.createdAt)).toBe(SLA_HOURS.low * 3600_000);
      expect(SLA_HOURS.low).toBe(72);
      const u = await call(admin, 'update_ticket', { number: tk.number, priority: 'urgent' });
      const after = u.structuredContent!.ticket as { slaDueAt: string };
      expect(Date.parse(after.slaDueAt) - Date.parse(tk.createdAt)).toBe(SLA_HOURS.urgent * 3600_000);
      expect(SLA_HOURS.urgent).toBe(1);
    });

    it('search ranks, filters and pages with a total', async () => {
      const page1 = await call(admin, 'search_tickets', { status: ['open', 'in_progress'], limit: 5 });
      const page2 = await call(admin, 'search_tickets', {
        status: ['open', 'in_progress'],
        limit: 5,
        offset: 5,
      });
      const expected = await count(
        "SELECT count(*) AS n FROM tickets WHERE status IN ('open','in_progress')",
      );
      expect(page1.structuredContent!.total).toBe(expected);
      const n1 = (page1.structuredContent!.tickets as { number: string }[]).map((x) => x.number);
      const n2 = (page2.structuredContent!.tickets as { number: string }[]).map((x) => x.number);
      expect(n1).toHaveLength(5);
      expect(n1.filter((n) => n2.includes(n))).toEqual([]);
      const text = await call(admin, 'search_tickets', {
        text: 'firmware',
        org: 'Dallas Police Department',
        priority: 'high',
      });
      for (const x of text.structuredContent!.tickets as { organization: string; priority: string }[]) {
        expect(x).toMatchObject({ organization: 'dallas-police', priority: 'high' });
      }
      const ranked = await call(admin, 'search_tickets', { text: 'firmware', limit: 5 });
      expect(ranked.structuredContent!.match).toBe('all_words');
      for (const x of ranked.structuredContent!.tickets as { number: string }[]) {
        const id = Number(x.number.slice(4));
        const [row] = await stack.query<{ title: string; description: string }>(
          'SELECT title, description FROM tickets WHERE id = ?',
          id,
        );
        const comments = await stack.query<{ body: string }>(
          'SELECT body FROM comments WHERE ticket_id = ?',
          id,
        );
        const all = `${row!.title} ${row!.description} ${comments.map((c) => c.body).join(' ')}`;
        expect(all.toLowerCase()).toContain('firmware');
      }
      // The best match has the word in its title (weighted highest).
      expect((ranked.structuredContent!.tickets as { title: string }[])[0]!.title.toLowerCase()).toContain(
        'firmware',
      );
      const some = await call(admin, 'search_tickets', { text: 'firmware xylophonequartz' });
      expect(some.structuredContent).toMatchObject({ match: 'any_word' });
      expect(some.structuredContent!.total as number).toBeGreaterThan(0);
      const byNumber = await call(admin, 'search_tickets', { text: t.closed });
      expect(byNumber.structuredContent).toMatchObject({ total: 1, match: 'number' });
      const mine = await call(await stack.client('alex_agent'), 'search_tickets', { assignee: 'me' });
      for (const x of mine.structuredContent!.tickets as { assignee: string }[])
        expect(x.assignee).toBe('alex_agent');
    });

    it('a customer reply moves a ticket waiting on them back in progress', async () => {
      const james = await stack.client('james_smith');
      const c = await call(james, 'create_ticket', {
        title: 'Share link expired',
        description: 'The DA link expired.',
      });
      const number = (c.structuredContent!.ticket as { number: string }).number;
      await call(admin, 'update_ticket', { number, status: 'waiting_on_customer' });
      const r = await call(james, 'add_comment', { number, body: 'Here are the logs.' });
      expect(r.structuredContent!.ticket).toMatchObject({ status: 'in_progress' });
    });
  });

  describe('the event log is append-only', () => {
    it('refuses UPDATE and DELETE (and on PostgreSQL TRUNCATE) at the database level', async () => {
      const before = await count('SELECT count(*) AS n FROM events');
      await expect(execDb(stack.target, "UPDATE events SET actor = 'x' WHERE id = 1")).rejects.toThrow(
        /append-only/,
      );
      await expect(execDb(stack.target, 'DELETE FROM events')).rejects.toThrow(/append-only/);
      if (backend === 'postgres')
        await expect(execDb(stack.target, 'TRUNCATE events CASCADE')).rejects.toThrow(/append-only/);
      expect(await count('SELECT count(*) AS n FROM events')).toBe(before);
      expect(await count("SELECT count(*) AS n FROM events WHERE actor = 'x'")).toBe(0);
    });
  });
});
