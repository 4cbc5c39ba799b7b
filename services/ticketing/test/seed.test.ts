/**
 * The seed generator on fresh stores of both backends: deterministic, realistic, consistent with the demo
 * directory; its CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers } from '@msi/kit/demo';
import { assignableTo, type Who } from '../src/access.js';
import { openTicketingStore, ticketingDbFile } from '../src/db.js';
import { seedTickets } from '../src/seed.js';
import { Directory } from '../src/store/directory.js';
import { TicketStore } from '../src/store/index.js';
import { backends, queryDb, snapshot, storeDatabase, type Backend, type DbTarget } from './harness.js';

const dirs: string[] = [];
const drops: (() => Promise<void>)[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'msi-seed-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  for (const drop of drops) await drop();
});

/** A fresh empty store's place on `backend`: its data dir and, on PostgreSQL, its database URL. */
async function place(backend: Backend): Promise<{ dataDir: string; url?: string; target: DbTarget }> {
  const dataDir = fresh();
  const database = await storeDatabase(backend, 'seed');
  if (!database) return { dataDir, target: { backend: 'sqlite', file: ticketingDbFile(dataDir) } };
  drops.push(database.drop);
  return { dataDir, url: database.url, target: { backend: 'postgres', url: database.url } };
}

const anchor = new Date('2026-03-01T00:00:00Z');
async function seeded(backend: Backend, opts: { seed?: number; tickets?: number } = {}) {
  const p = await place(backend);
  const store = await openTicketingStore({ dataDir: p.dataDir, url: p.url });
  await seedTickets(store, { anchor, ...opts });
  await store.close();
  return p;
}

describe.each(backends())('seed on %s', (backend) => {
  it('is deterministic: same seed, same data; another seed, other data', async () => {
    const a = (await seeded(backend, { seed: 5 })).target;
    expect(await snapshot((await seeded(backend, { seed: 5 })).target)).toBe(await snapshot(a));
    expect(await snapshot((await seeded(backend, { seed: 6 })).target)).not.toBe(await snapshot(a));
  });

  it('builds a realistic demo set that matches the demo directory', async () => {
    const p = await seeded(backend);
    const q = <T>(text: string) => queryDb<T>(p.target, text);
    const store = await openTicketingStore({ dataDir: p.dataDir, url: p.url });
    const tickets = (await q('SELECT * FROM tickets ORDER BY id')) as {
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
    const directory = new Directory(store, () => new Date().toISOString());
    for (const t of tickets) {
      expect(DEMO_ORGANIZATIONS.map((o) => o.slug)).toContain(t.org);
      expect(members.some((m) => m.org === t.org && m.username === t.reporter)).toBe(true);
      if (t.assignee)
        expect(assignableTo(await directory.staff(t.assignee), t.assignee, t.org)).toEqual({ ok: true });
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
    const n = async (text: string) => (await q<{ n: number }>(text))[0]!.n;
    expect(await n('SELECT count(*) AS n FROM comments WHERE internal = TRUE')).toBeGreaterThan(20);
    expect(
      await n(
        "SELECT count(*) AS n FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.action = 'created')",
      ),
    ).toBe(0);
    expect(
      await n(
        "SELECT count(*) AS n FROM tickets WHERE status IN ('resolved','closed') AND resolution IS NULL",
      ),
    ).toBe(0);
    // No generator slips such as "the the north precinct".
    const texts = await q<{ s: string }>("SELECT title || ' ' || description AS s FROM tickets");
    for (const { s } of texts) expect(s).not.toMatch(/\b(\w+) \1\b/i);
    // The server's own directory gets the demo organizations (named) and support staff.
    expect(await directory.nameOf('dallas-police')).toBe('Dallas Police Department');
    expect((await directory.organization('Dallas_Police'))?.slug).toBe('dallas-police');
    expect(await directory.staff('alex_agent')).toMatchObject({ role: 'agent' });
    expect(await directory.staff('james_smith')).toBeUndefined();
    // Every ticket is searchable, internal notes only by staff.
    const tickets$ = new TicketStore(store);
    const sam: Who = {
      username: 'sam_supervisor',
      roles: ['supervisor'],
      organizations: [],
      isService: false,
    };
    const firmware = await tickets$.search(sam, { text: 'firmware', limit: 1 });
    expect(firmware.total).toBeGreaterThan(20);
    expect((await tickets$.search(sam, { text: 'escalated engineering', limit: 1 })).total).toBeGreaterThan(
      0,
    );
    const james: Who = {
      username: 'james_smith',
      roles: ['customer'],
      organizations: ['dallas-police'],
      isService: false,
    };
    expect((await tickets$.search(james, { text: 'escalated engineering', limit: 1 })).total).toBe(0);
    // The server's next comment number follows the seeded ones.
    const [own] = (await tickets$.search(james, { status: ['open'], limit: 1 })).tickets;
    const added = await tickets$.comment(james, own!.number, { body: 'Still happening.' });
    expect(added.comment.id).toBe(await n('SELECT max(id) AS n FROM comments'));
    expect(added.comment.id).toBeGreaterThan(400);
    await store.close();
  });

  it('the CLI builds a set into a fresh store and refuses one that has tickets', async () => {
    const main = fileURLToPath(new URL('..', import.meta.url));
    const envOf = (p: { dataDir: string; url?: string }) => ({
      PATH: process.env.PATH,
      MSI_DATA_DIR: p.dataDir,
      ...(p.url ? { DATABASE_URL: p.url } : {}),
    });
    const p = await place(backend);
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [main, 'seed', ...args], { env: envOf(p), encoding: 'utf8' });
    const ok = cli(['--tickets', '2000', '--seed', '9']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/seeded 2000 tickets/);
    const before = await snapshot(p.target);
    const again = cli(['--tickets', '5']);
    expect(again.status).toBe(73);
    expect(again.stderr).toMatch(/already has tickets; it is never overwritten/);
    expect(await snapshot(p.target)).toBe(before);
    const args = ['seed', '--tickets', '200', '--seed', '3', '--anchor', '2026-02-01'];
    const run = (q: { dataDir: string; url?: string }) =>
      spawnSync(process.execPath, [main, ...args], { env: envOf(q) });
    const twin = await place(backend);
    const other = await place(backend);
    run(twin);
    run(other);
    expect(await snapshot(twin.target)).toBe(await snapshot(other.target));
    const bad = cli(['--tickets', 'many']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/usage/);
  });
});
