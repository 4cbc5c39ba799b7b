/** The ticketing server's own directory on the real store, on both backends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@msi/kit';
import { openTicketingStore, type TicketingStore } from '../../src/db.js';
import { Directory } from '../../src/store/directory.js';
import { backends, storeDatabase } from '../harness.js';

const dir = mkdtempSync(join(tmpdir(), 'msi-directory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const who = (over: Partial<Principal>): Principal => ({
  sub: 's',
  username: 'casey_quinn',
  name: 'Casey Quinn',
  roles: ['agent'],
  organizations: ['springfield-police'],
  scopes: [],
  clientId: 'msi-api',
  audience: 'x',
  expiresAt: 0,
  isService: false,
  ...over,
});

describe.each(backends())('the ticketing directory on %s', (backend) => {
  let store: TicketingStore;
  let directory: Directory;
  let drop: (() => Promise<void>) | undefined;
  /** Write transactions the directory ran so far. */
  let transactions = 0;

  beforeAll(async () => {
    const database = await storeDatabase(backend, 'directory');
    drop = database?.drop;
    store = await openTicketingStore({ dataDir: join(dir, backend), url: database?.url });
    const counted: TicketingStore = {
      ...store,
      db: store.db,
      dialect: store.dialect,
      transaction: (fn) => {
        transactions++;
        return store.transaction(fn);
      },
    };
    directory = new Directory(counted, () => new Date().toISOString());
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('learns organizations and staff from claims, writing only when something changed', async () => {
    await directory.noteCaller(who({}));
    expect(await directory.organization('SPRINGFIELD-POLICE')).toEqual({
      slug: 'springfield-police',
      name: 'springfield-police',
      legacyName: null,
    });
    expect(await directory.staff('Casey_Quinn')).toEqual({
      username: 'casey_quinn',
      name: 'Casey Quinn',
      role: 'agent',
      organizations: ['springfield-police'],
    });
    const writes = transactions;
    await directory.noteCaller(who({}));
    expect(transactions).toBe(writes);
    await directory.noteCaller(who({ organizations: ['springfield-police', 'shelbyville-fire'] }));
    expect(transactions).toBe(writes + 1);
    expect((await directory.staff('casey_quinn'))!.organizations).toEqual([
      'shelbyville-fire',
      'springfield-police',
    ]);
  });

  it('forgets staff who are no longer staff; service tokens change nothing', async () => {
    await directory.noteCaller(who({ roles: ['customer'] }));
    expect(await directory.staff('casey_quinn')).toBeUndefined();
    const writes = transactions;
    await directory.noteCaller(
      who({ username: 'svc', isService: true, roles: ['admin'], organizations: ['evil'] }),
    );
    expect(transactions).toBe(writes);
    expect(await directory.organization('evil')).toBeUndefined();
  });

  it('an import names organizations (found by name then) and keeps a name a claim cannot undo', async () => {
    await directory.import({
      organizations: [
        { slug: 'springfield-police', name: 'Springfield Police Department', legacyName: 'Springfield_PD' },
      ],
      staff: [],
    });
    expect((await directory.organization('springfield police department'))?.slug).toBe('springfield-police');
    expect((await directory.organization('springfield_pd'))?.slug).toBe('springfield-police');
    await directory.noteCaller(who({ username: 'pat_lee', roles: ['customer'] }));
    expect(await directory.nameOf('springfield-police')).toBe('Springfield Police Department');
  });

  it('an import is all or nothing', async () => {
    await expect(
      directory.import({
        organizations: [{ slug: 'ogdenville-police', name: 'Ogdenville Police' }],
        staff: [{ username: 'x', name: 'X', role: 'customer' as never, organizations: [] }],
      }),
    ).rejects.toThrow(/check constraint/i);
    expect(await directory.organization('ogdenville-police')).toBeUndefined();
  });

  it('the staff table refuses a role that is not a staff role', async () => {
    await expect(
      sql`INSERT INTO staff (username, name, role, updated_at) VALUES ('x', 'X', 'customer', '2026-01-01T00:00:00Z')`.execute(
        store.db,
      ),
    ).rejects.toThrow(/check constraint/i);
  });
});
