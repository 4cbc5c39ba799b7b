/**
 * Bad input over real HTTP: each case must give a tool error that names the field and the problem, the
 * server must stay up, and a refused write must leave the SQLite file exactly as it was.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorText, openDb, snapshot, startHarness, type Harness } from './harness.js';
import { SLA_HOURS } from '../src/model.js';

let stack: Harness;
let db: Database.Database;
let admin: Client;
const t = { open: '', closed: '', resolved: '' };

const first = (where: string) =>
  `TCK-${(db.prepare(`SELECT id FROM tickets WHERE ${where} ORDER BY id LIMIT 1`).get() as { id: number }).id}`;

beforeAll(async () => {
  stack = await startHarness();
  db = openDb(stack.dbFile);
  admin = await stack.client('admin');
  t.open = first("status = 'open' AND org = 'dallas-police'");
  t.closed = first("status = 'closed'");
  t.resolved = first("status = 'resolved'");
});
afterAll(async () => {
  db?.close();
  await stack?.stop();
});

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

describe('bad input is refused with the field and the problem, and nothing is written', () => {
  for (const [tool, args, message] of CASES) {
    it(`${tool} ${JSON.stringify(args.toString().slice(6, 90))} → ${message.source}`, async () => {
      const before = snapshot(stack.dbFile);
      const r = await call(admin, tool, args());
      expect(r.isError).toBe(true);
      expect(errorText(r)).toMatch(message);
      expect(snapshot(stack.dbFile)).toBe(before);
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
    const row = db
      .prepare('SELECT title, description FROM tickets WHERE id = ?')
      .get(Number(number.slice(4)));
    expect(row).toEqual({ title, description });
    expect((db.prepare('SELECT count(*) AS n FROM tickets').get() as { n: number }).n).toBeGreaterThan(300);
  });

  it('search treats them as words, never as SQL or FTS syntax', async () => {
    const all = (db.prepare('SELECT count(*) AS n FROM tickets').get() as { n: number }).n;
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
    const events = () =>
      (db.prepare('SELECT count(*) AS n FROM events WHERE ticket_id = ?').get(id) as { n: number }).n;
    const before = events();
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
    expect(events()).toBe(before + 4);
    const last = db
      .prepare('SELECT actor, action, before, after FROM events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1')
      .get(id);
    expect(last).toEqual({
      actor: 'admin',
      action: 'resolved',
      before: JSON.stringify({ status: 'waiting_on_customer' }),
      after: JSON.stringify({ status: 'resolved', resolution: 'Dock replaced.' }),
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
      const created = db
        .prepare("SELECT count(*) AS n FROM events WHERE ticket_id = ? AND action = 'created'")
        .get(Number(n.slice(4))) as { n: number };
      expect(created.n).toBe(1);
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
    const expected = (
      db.prepare("SELECT count(*) AS n FROM tickets WHERE status IN ('open','in_progress')").get() as {
        n: number;
      }
    ).n;
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
      const row = db
        .prepare('SELECT title, description FROM tickets WHERE id = ?')
        .get(Number(x.number.slice(4))) as {
        title: string;
        description: string;
      };
      const comments = db
        .prepare('SELECT group_concat(body) AS b FROM comments WHERE ticket_id = ?')
        .get(Number(x.number.slice(4))) as { b: string | null };
      expect(`${row.title} ${row.description} ${comments.b ?? ''}`.toLowerCase()).toContain('firmware');
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
  it('refuses UPDATE and DELETE at the database level', async () => {
    const Database = (await import('better-sqlite3')).default;
    const rw = new Database(stack.dbFile);
    try {
      expect(() => rw.prepare("UPDATE events SET actor = 'x' WHERE id = 1").run()).toThrow(/append-only/);
      expect(() => rw.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    } finally {
      rw.close();
    }
  });
});
