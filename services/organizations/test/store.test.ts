import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers } from '@msi/kit/demo';
import { dbFile, openOrganizationsDb } from '../src/db.js';
import { OrgStore } from '../src/store/index.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'orgs-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const TABLES = ['organizations', 'deployments', 'members', 'member_permissions', 'events'] as const;
function dump(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
    ) as Record<(typeof TABLES)[number], unknown[]>;
  } finally {
    db.close();
  }
}
function seeded(seedNumber?: number) {
  const dir = tempDir();
  const { db } = openOrganizationsDb(dir, seedNumber);
  db.close();
  return dump(dbFile(dir));
}

describe('seed', () => {
  it('is deterministic: the same seed gives identical databases, another seed different deployments', () => {
    const a = seeded();
    const b = seeded();
    expect(a).toEqual(b);
    const c = seeded(7);
    expect(c.organizations.map((o) => (o as { slug: string }).slug)).toEqual(
      a.organizations.map((o) => (o as { slug: string }).slug),
    );
    expect(c.deployments).not.toEqual(a.deployments);
  });

  it('holds every demo organization (the original five under their legacy names) and the demo members', () => {
    const { db } = openOrganizationsDb(tempDir());
    const store = new OrgStore(db);
    expect(store.allSlugs()).toEqual(DEMO_ORGANIZATIONS.map((o) => o.slug).sort());
    for (const legacy of [
      'Dallas_Police',
      'Allen_Firestation',
      'LA_City',
      'Atlanta_Police',
      'Brandon_Electronics',
    ]) {
      expect(store.resolve(legacy)?.legacyName).toBe(legacy);
    }
    for (const m of demoMembers()) {
      const org = store.resolve(m.org)!;
      expect(store.member(org.id, m.username)?.permissions.sort()).toEqual([...m.permissions].sort());
    }
    // The IDP's customers are members of their own organization, with the same permissions.
    for (const u of DEMO_USERS.filter((x) => x.role === 'customer')) {
      const org = store.resolve(u.organizations[0]!)!;
      expect(store.member(org.id, u.username)?.email).toBe(u.email);
    }
    // Each organization's status is the worst of its deployments'.
    for (const slug of store.allSlugs()) {
      const org = store.resolve(slug)!;
      const s = store.deployments(org.id).map((d) => d.status);
      expect(org.status).toBe(s.includes('down') ? 'down' : s.includes('degraded') ? 'degraded' : 'live');
    }
    db.close();
  });

  it('never overwrites an existing data dir', () => {
    const dir = tempDir();
    const first = openOrganizationsDb(dir);
    expect(first.seeded).toBe(true);
    const store = new OrgStore(first.db);
    store.setPermissions(store.resolve('dallas-police')!, 'james_smith', ['view_records'], 'test');
    first.db.close();
    const again = openOrganizationsDb(dir);
    expect(again.seeded).toBe(false);
    const org = new OrgStore(again.db).resolve('dallas-police')!;
    expect(new OrgStore(again.db).member(org.id, 'james_smith')?.permissions).toEqual(['view_records']);
    again.db.close();
  });
});

describe('store', () => {
  it('resolves slug, display name and legacy name case-insensitively, and nothing else', () => {
    const { db } = openOrganizationsDb(tempDir());
    const store = new OrgStore(db);
    for (const ref of [
      'dallas-police',
      'DALLAS-POLICE',
      'Dallas Police Department',
      'dallas police department',
      'dallas_police',
      '  Dallas_Police ',
    ]) {
      expect(store.resolve(ref)?.slug, ref).toBe('dallas-police');
    }
    for (const ref of ["' OR 1=1 --", 'dallas%', '%', 'Dallas', "dallas-police'; DROP TABLE members; --"]) {
      expect(store.resolve(ref), ref).toBeUndefined();
    }
    expect(store.list({ query: '%', limit: 100, offset: 0 }).total).toBe(0);
    // `_` is a literal underscore, not a wildcard: it matches the five legacy names only.
    expect(store.list({ query: '_', limit: 100, offset: 0 }).organizations.map((o) => o.legacyName)).toEqual(
      expect.arrayContaining(['Dallas_Police', 'LA_City']),
    );
    expect(store.list({ query: '_', limit: 100, offset: 0 }).total).toBe(5);
    expect(store.list({ query: 'police', limit: 100, offset: 0 }).total).toBeGreaterThan(5);
    db.close();
  });

  it('looks members up only within the organization asked about', () => {
    const { db } = openOrganizationsDb(tempDir());
    const store = new OrgStore(db);
    const allen = store.resolve('allen-firestation')!;
    expect(store.member(allen.id, 'james_smith')).toBeUndefined();
    expect(store.member(allen.id, 'linda_baker')?.username).toBe('linda_baker');
    db.close();
  });

  it('writes a permission change and its event in one transaction; an unchanged set writes nothing', () => {
    const { db } = openOrganizationsDb(tempDir());
    const store = new OrgStore(db);
    const org = store.resolve('allen-firestation')!;
    const events = () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const n0 = events();
    const r = store.setPermissions(
      org,
      'linda_baker',
      ['view_agency_users', 'view_records', 'view_records'],
      'admin',
      'audit',
    );
    expect(r).toMatchObject({
      before: ['view_records'],
      after: ['view_records', 'view_agency_users'],
      changed: true,
    });
    expect(events()).toBe(n0 + 1);
    const ev = db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT 1').get() as Record<string, unknown>;
    expect(ev).toMatchObject({
      actor: 'admin',
      action: 'member.permissions_set',
      subject: 'linda_baker',
      note: 'audit',
    });
    expect(JSON.parse(ev.before as string)).toEqual(['view_records']);
    expect(
      store.setPermissions(org, 'linda_baker', ['view_records', 'view_agency_users'], 'admin')?.changed,
    ).toBe(false);
    expect(events()).toBe(n0 + 1);
    expect(store.setPermissions(org, 'james_smith', [], 'admin')).toBeUndefined();
    expect(() => db.prepare("UPDATE events SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
  });
});
