/** The seed's generated prose reads right: no doubled words ("the the north precinct") anywhere. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTicketingStore, ticketingDbFile } from '../src/db.js';
import { seedTickets } from '../src/seed.js';
import { queryDb, type DbTarget } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'msi-seed-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seed text', () => {
  // The text does not depend on the backend: SQLite is enough here.
  it('has no doubled word in any title, description, resolution or comment of a large set', async () => {
    const store = await openTicketingStore({ dataDir: dir });
    await seedTickets(store, { tickets: 3000 });
    await store.close();
    const target: DbTarget = { backend: 'sqlite', file: ticketingDbFile(dir) };
    const texts = await queryDb<{ t: string }>(
      target,
      `SELECT title AS t FROM tickets UNION ALL SELECT description FROM tickets
         UNION ALL SELECT resolution FROM tickets WHERE resolution IS NOT NULL UNION ALL SELECT body FROM comments`,
    );
    expect(texts.length).toBeGreaterThan(3000);
    const doubled = texts.map(({ t }) => /\b(\w+)\s+\1\b/i.exec(t)?.[0]).filter(Boolean);
    expect([...new Set(doubled)]).toEqual([]);
  });
});
