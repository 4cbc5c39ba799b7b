/**
 * Search on the real store of both backends with the same seeded tickets: the same totals for the same
 * words (FTS5 porter vs PostgreSQL's english stemmer agree on these), the title weighted first, internal
 * notes found by staff and never by customers, paging, and the filters of access.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Who } from '../../src/access.js';
import { openTicketingStore, type TicketingStore } from '../../src/db.js';
import { seedTickets } from '../../src/seed.js';
import { TicketStore } from '../../src/store/index.js';
import { backends, storeDatabase, type Backend } from '../harness.js';

const dir = mkdtempSync(join(tmpdir(), 'msi-search-'));
const anchor = new Date('2026-03-01T00:00:00Z');
const sam: Who = { username: 'sam_supervisor', roles: ['supervisor'], organizations: [], isService: false };
const alex: Who = {
  username: 'alex_agent',
  roles: ['agent'],
  organizations: ['dallas-police', 'houston-police'],
  isService: false,
};
const james: Who = {
  username: 'james_smith',
  roles: ['customer'],
  organizations: ['dallas-police'],
  isService: false,
};
const WORDS = ['camera', 'firmware', 'dock', 'evidence', 'SAML certificate', 'uploads resumed'];

/** Totals per word and principal on each backend, compared at the end. */
const totals: Partial<Record<Backend, Record<string, number>>> = {};
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of drops) await d();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(backends())('search on %s', (backend) => {
  let store: TicketingStore;
  let tickets: TicketStore;
  beforeAll(async () => {
    const database = await storeDatabase(backend, 'search');
    if (database) drops.push(database.drop);
    store = await openTicketingStore({ dataDir: join(dir, backend), url: database?.url });
    await seedTickets(store, { anchor, tickets: 600 });
    tickets = new TicketStore(store, () => anchor);
  });
  afterAll(() => store?.close());

  it('ranks title matches first and counts every match', async () => {
    const mine: Record<string, number> = {};
    for (const text of WORDS) {
      for (const [name, who] of Object.entries({ sam, alex, james })) {
        const r = await tickets.search(who, { text, limit: 5 });
        mine[`${name} ${text}`] = r.total;
        if (r.total > 0 && r.match === 'all_words' && !text.includes(' ')) {
          expect(r.tickets[0]!.title.toLowerCase(), `${name} ${text}`).toContain(text.toLowerCase());
        }
      }
    }
    expect(mine['sam camera']).toBeGreaterThan(100);
    expect(mine['alex camera']).toBeLessThan(mine['sam camera']!);
    expect(mine['james camera']).toBeLessThan(mine['alex camera']!);
    totals[backend] = mine;
  });

  it('pages through the ranking without repeats, the same total on every page', async () => {
    const seen = new Set<string>();
    let total = -1;
    for (let offset = 0; offset < 60; offset += 20) {
      const r = await tickets.search(sam, { text: 'firmware', limit: 20, offset });
      if (total >= 0) expect(r.total).toBe(total);
      total = r.total;
      for (const t of r.tickets) {
        expect(seen.has(t.number)).toBe(false);
        seen.add(t.number);
      }
    }
    expect(seen.size).toBe(Math.min(60, total));
  });

  it('finds internal notes for staff only', async () => {
    const staff = await tickets.search(sam, { text: 'escalated engineering' });
    expect(staff.total).toBeGreaterThan(0);
    const own = await tickets.search(james, { text: 'escalated engineering' });
    expect(own.total).toBe(0);
    expect(own.match).toBe('any_word');
  });

  it('filters by status and organization within the text search', async () => {
    const r = await tickets.search(sam, {
      text: 'camera',
      status: ['open'],
      org: 'houston-police',
      limit: 50,
    });
    expect(r.total).toBeGreaterThan(0);
    for (const t of r.tickets) expect(t).toMatchObject({ status: 'open', organization: 'houston-police' });
    const bySort = await tickets.search(alex, { text: 'camera', sort: 'updated', limit: 10 });
    const times = bySort.tickets.map((t) => t.updatedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe.skipIf(backends().length < 2)('both backends', () => {
  it('count the same matches for the same words', () => {
    expect(totals.postgres).toEqual(totals.sqlite);
  });
});
