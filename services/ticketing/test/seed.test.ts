/** The seed generator on temp SQLite files: deterministic, realistic, consistent with the demo directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers } from '@msi/kit/demo';
import { assignableTo } from '../src/access.js';
import { openTicketingDb, ticketingDbFile } from '../src/db.js';
import { seedTickets } from '../src/seed.js';
import { Directory } from '../src/store/directory.js';
import { snapshot } from './harness.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'msi-seed-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const anchor = new Date('2026-03-01T00:00:00Z');
function seeded(opts: { seed?: number; tickets?: number } = {}) {
  const file = ticketingDbFile(fresh());
  const db = openTicketingDb(file);
  seedTickets(db, { anchor, ...opts });
  db.close();
  return file;
}

describe('seed', () => {
  it('is deterministic: same seed, same data; another seed, other data', () => {
    const a = seeded({ seed: 5 });
    expect(snapshot(seeded({ seed: 5 }))).toBe(snapshot(a));
    expect(snapshot(seeded({ seed: 6 }))).not.toBe(snapshot(a));
  });

  it('builds a realistic demo set that matches the demo directory', () => {
    const db = openTicketingDb(seeded());
    const tickets = db.prepare('SELECT * FROM tickets').all() as {
      id: number;
      org: string;
      reporter: string;
      assignee: string | null;
      status: string;
      title: string;
    }[];
    expect(tickets).toHaveLength(300);
    expect(tickets[0]!.id).toBe(1001);
    const members = demoMembers();
    const directory = new Directory(db, () => new Date().toISOString());
    for (const t of tickets) {
      expect(DEMO_ORGANIZATIONS.map((o) => o.slug)).toContain(t.org);
      expect(members.some((m) => m.org === t.org && m.username === t.reporter)).toBe(true);
      if (t.assignee)
        expect(assignableTo(directory.staff(t.assignee), t.assignee, t.org)).toEqual({ ok: true });
    }
    for (const u of DEMO_USERS.filter((x) => x.role === 'customer')) {
      const own = tickets.filter((t) => t.reporter === u.username);
      expect(own.length).toBeGreaterThanOrEqual(5);
      expect(own.every((t) => t.org === u.organizations[0])).toBe(true);
      expect(own.some((t) => t.status === 'open')).toBe(true);
    }
    for (const s of ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed']) {
      expect(tickets.filter((t) => t.status === s).length).toBeGreaterThan(20);
    }
    const assignees = new Set(tickets.map((t) => t.assignee));
    for (const a of ['alex_agent', 'riley_agent', 'sam_supervisor', null]) expect(assignees).toContain(a);
    const internal = db.prepare('SELECT count(*) AS n FROM comments WHERE internal = 1').get() as {
      n: number;
    };
    expect(internal.n).toBeGreaterThan(20);
    const withoutCreated = db
      .prepare(
        "SELECT count(*) AS n FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.action = 'created')",
      )
      .get() as { n: number };
    expect(withoutCreated.n).toBe(0);
    const resolvedWithout = db
      .prepare(
        "SELECT count(*) AS n FROM tickets WHERE status IN ('resolved','closed') AND resolution IS NULL",
      )
      .get() as { n: number };
    expect(resolvedWithout.n).toBe(0);
    // No generator slips such as "the the north precinct".
    const texts = db.prepare("SELECT title || ' ' || description AS s FROM tickets").all() as { s: string }[];
    for (const { s } of texts) expect(s).not.toMatch(/\b(\w+) \1\b/i);
    // The server's own directory gets the demo organizations (named) and support staff.
    expect(directory.nameOf('dallas-police')).toBe('Dallas Police Department');
    expect(directory.organization('Dallas_Police')?.slug).toBe('dallas-police');
    expect(directory.staff('alex_agent')).toMatchObject({ role: 'agent' });
    expect(directory.staff('james_smith')).toBeUndefined();
    expect(
      db.prepare("SELECT count(*) AS n FROM tickets_fts WHERE tickets_fts MATCH 'firmware'").get(),
    ).not.toEqual({ n: 0 });
    db.close();
  });

  it('the CLI builds a set into a fresh data dir and refuses an existing one', () => {
    const dir = fresh();
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [fileURLToPath(new URL('..', import.meta.url)), 'seed', ...args], {
        env: { PATH: process.env.PATH, MSI_DATA_DIR: dir },
        encoding: 'utf8',
      });
    const ok = cli(['--tickets', '2000', '--seed', '9']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/seeded 2000 tickets/);
    const before = snapshot(ticketingDbFile(dir));
    const again = cli(['--tickets', '5']);
    expect(again.status).toBe(73);
    expect(again.stderr).toMatch(/already has tickets; it is never overwritten/);
    expect(snapshot(ticketingDbFile(dir))).toBe(before);
    const twin = fresh();
    const args = ['seed', '--tickets', '200', '--seed', '3', '--anchor', '2026-02-01'];
    const run = (d: string) =>
      spawnSync(process.execPath, [fileURLToPath(new URL('..', import.meta.url)), ...args], {
        env: { PATH: process.env.PATH, MSI_DATA_DIR: d },
      });
    const other = fresh();
    run(twin);
    run(other);
    expect(snapshot(ticketingDbFile(twin))).toBe(snapshot(ticketingDbFile(other)));
    const bad = cli(['--tickets', 'many']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/usage/);
  });
});
