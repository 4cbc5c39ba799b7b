/** The seed's generated prose reads right: no doubled words ("the the north precinct") anywhere. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTicketingDb, ticketingDbFile } from '../src/db.js';
import { seedTickets } from '../src/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'msi-seed-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seed text', () => {
  it('has no doubled word in any title, description, resolution or comment of a large set', () => {
    const db = openTicketingDb(ticketingDbFile(dir));
    seedTickets(db, { tickets: 3000 });
    const texts = db
      .prepare(
        `SELECT title AS t FROM tickets UNION ALL SELECT description FROM tickets
         UNION ALL SELECT resolution FROM tickets WHERE resolution IS NOT NULL UNION ALL SELECT body FROM comments`,
      )
      .all() as { t: string }[];
    expect(texts.length).toBeGreaterThan(3000);
    const doubled = texts.map(({ t }) => /\b(\w+)\s+\1\b/i.exec(t)?.[0]).filter(Boolean);
    expect([...new Set(doubled)]).toEqual([]);
    db.close();
  });
});
