import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Principal } from '@msi/kit';
import { openTicketingDb } from '../../src/db.js';
import { Directory } from '../../src/store/directory.js';

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

describe('the ticketing directory', () => {
  const db = openTicketingDb(join(dir, 't.sqlite'));
  const directory = new Directory(db, () => new Date().toISOString());
  /** Rows written on this connection so far. */
  const writes = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

  it('learns organizations and staff from claims, writing only when something changed', () => {
    directory.noteCaller(who({}));
    expect(directory.organization('SPRINGFIELD-POLICE')).toEqual({
      slug: 'springfield-police',
      name: 'springfield-police',
      legacyName: null,
    });
    expect(directory.staff('Casey_Quinn')).toEqual({
      username: 'casey_quinn',
      name: 'Casey Quinn',
      role: 'agent',
      organizations: ['springfield-police'],
    });
    const changes = writes();
    directory.noteCaller(who({}));
    expect(writes()).toBe(changes);
    directory.noteCaller(who({ organizations: ['springfield-police', 'shelbyville-fire'] }));
    expect(directory.staff('casey_quinn')!.organizations).toEqual(['shelbyville-fire', 'springfield-police']);
  });

  it('forgets staff who are no longer staff; service tokens change nothing', () => {
    directory.noteCaller(who({ roles: ['customer'] }));
    expect(directory.staff('casey_quinn')).toBeUndefined();
    const changes = writes();
    directory.noteCaller(
      who({ username: 'svc', isService: true, roles: ['admin'], organizations: ['evil'] }),
    );
    expect(writes()).toBe(changes);
    expect(directory.organization('evil')).toBeUndefined();
  });

  it('an import names organizations (found by name then) and keeps a name a claim cannot undo', () => {
    directory.import({
      organizations: [
        { slug: 'springfield-police', name: 'Springfield Police Department', legacyName: 'Springfield_PD' },
      ],
      staff: [],
    });
    expect(directory.organization('springfield police department')?.slug).toBe('springfield-police');
    expect(directory.organization('springfield_pd')?.slug).toBe('springfield-police');
    directory.noteCaller(who({ username: 'pat_lee', roles: ['customer'] }));
    expect(directory.nameOf('springfield-police')).toBe('Springfield Police Department');
  });

  it('the staff table refuses a role that is not a staff role', () => {
    expect(() =>
      db
        .prepare("INSERT INTO staff (username, name, role, updated_at) VALUES ('x', 'X', 'customer', 'now')")
        .run(),
    ).toThrow(/CHECK constraint/);
  });
});
