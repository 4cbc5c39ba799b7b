/**
 * The organizations store on both backends (SQLite in a temp data dir; PostgreSQL in a fresh database per
 * opening): the deterministic seed, lookups, filters and the permission change with its event, through the
 * same code; on PostgreSQL also two writers on one member at once.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers } from '@msi/kit/demo';
import { openOrganizationsDb, type OrgDb } from '../src/db.js';
import { OrgStore } from '../src/store/index.js';
import { backends, freshDatabase, type Backend, type FreshDatabase } from '../../../test/support/database.js';
import { freshDirs } from '../../../test/support/fresh-dirs.js';

const tempDir = freshDirs('orgs-unit-');
const databases: FreshDatabase[] = [];
afterAll(async () => {
  for (const d of databases.splice(0)) await d.drop();
});

/** A new, empty place for the store on `backend`: a data dir, and on PostgreSQL a database. */
async function place(backend: Backend): Promise<{ dataDir: string; url?: string }> {
  const dataDir = tempDir();
  if (backend === 'sqlite') return { dataDir };
  const db = await freshDatabase('orgs_store');
  databases.push(db);
  return { dataDir, url: db.url };
}

const TABLES = ['organizations', 'deployments', 'members', 'member_permissions', 'events'] as const;
async function dump(store: OrgDb) {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES)
    out[t] = (await sql`SELECT * FROM ${sql.table(t)} ORDER BY 1, 2`.execute(store.db)).rows;
  return out as Record<(typeof TABLES)[number], unknown[]>;
}
async function seeded(backend: Backend, seedNumber?: number) {
  const { store } = await openOrganizationsDb({
    ...(await place(backend)),
    ...(seedNumber !== undefined ? { seedNumber } : {}),
  });
  try {
    return await dump(store);
  } finally {
    await store.close();
  }
}
const eventCount = async (store: OrgDb) =>
  Number(
    (
      await store.db
        .selectFrom('events')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.each(backends())('organizations store on %s', (backend) => {
  const open = async () => {
    const { store } = await openOrganizationsDb(await place(backend));
    return { db: store, store: new OrgStore(store) };
  };

  describe('seed', () => {
    it('is deterministic: the same seed gives identical databases, another seed different deployments', async () => {
      const a = await seeded(backend);
      const b = await seeded(backend);
      expect(a).toEqual(b);
      const c = await seeded(backend, 7);
      expect(c.organizations.map((o) => (o as { slug: string }).slug)).toEqual(
        a.organizations.map((o) => (o as { slug: string }).slug),
      );
      expect(c.deployments).not.toEqual(a.deployments);
      if (backend === 'postgres') expect(a).toEqual(await seeded('sqlite')); // the same rows on both
    });

    it('holds every demo organization (the original five under their legacy names) and the demo members', async () => {
      const { db, store } = await open();
      expect(await store.allSlugs()).toEqual(DEMO_ORGANIZATIONS.map((o) => o.slug).sort());
      for (const legacy of [
        'Dallas_Police',
        'Allen_Firestation',
        'LA_City',
        'Atlanta_Police',
        'Brandon_Electronics',
      ]) {
        expect((await store.resolve(legacy))?.legacyName).toBe(legacy);
      }
      for (const m of demoMembers()) {
        const org = (await store.resolve(m.org))!;
        expect((await store.member(org.id, m.username))?.permissions.sort()).toEqual(
          [...m.permissions].sort(),
        );
      }
      // The IDP's customers are members of their own organization, with the same permissions.
      for (const u of DEMO_USERS.filter((x) => x.role === 'customer')) {
        const org = (await store.resolve(u.organizations[0]!))!;
        expect((await store.member(org.id, u.username))?.email).toBe(u.email);
      }
      // Each organization's status is the worst of its deployments'.
      for (const slug of await store.allSlugs()) {
        const org = (await store.resolve(slug))!;
        const s = (await store.deployments(org.id)).map((d) => d.status);
        expect(org.status).toBe(s.includes('down') ? 'down' : s.includes('degraded') ? 'degraded' : 'live');
      }
      await db.close();
    });

    it('never overwrites an existing database', async () => {
      const where = await place(backend);
      const first = await openOrganizationsDb(where);
      expect(first.seeded).toBe(true);
      const store = new OrgStore(first.store);
      await store.setPermissions(
        (await store.resolve('dallas-police'))!,
        'james_smith',
        ['view_records'],
        'test',
      );
      await first.store.close();
      const again = await openOrganizationsDb(where);
      expect(again.seeded).toBe(false);
      const s2 = new OrgStore(again.store);
      const org = (await s2.resolve('dallas-police'))!;
      expect((await s2.member(org.id, 'james_smith'))?.permissions).toEqual(['view_records']);
      await again.store.close();
    });
  });

  describe('store', () => {
    it('resolves slug, display name and legacy name case-insensitively, and nothing else', async () => {
      const { db, store } = await open();
      for (const ref of [
        'dallas-police',
        'DALLAS-POLICE',
        'Dallas Police Department',
        'dallas police department',
        'dallas_police',
        '  Dallas_Police ',
      ]) {
        expect((await store.resolve(ref))?.slug, ref).toBe('dallas-police');
      }
      for (const ref of ["' OR 1=1 --", 'dallas%', '%', 'Dallas', "dallas-police'; DROP TABLE members; --"]) {
        expect(await store.resolve(ref), ref).toBeUndefined();
      }
      expect((await store.list({ query: '%', limit: 100, offset: 0 })).total).toBe(0);
      // `_` is a literal underscore, not a wildcard: it matches the five legacy names only.
      const underscore = await store.list({ query: '_', limit: 100, offset: 0 });
      expect(underscore.organizations.map((o) => o.legacyName)).toEqual(
        expect.arrayContaining(['Dallas_Police', 'LA_City']),
      );
      expect(underscore.total).toBe(5);
      // Case-insensitive text search and region filter, the same order on both backends.
      const police = await store.list({ query: 'POLICE', limit: 100, offset: 0 });
      expect(police.total).toBeGreaterThan(5);
      const names = police.organizations.map((o) => o.name);
      expect(names).toEqual([...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
      const region = police.organizations[0]!.region;
      const inRegion = await store.list({ region: region.toUpperCase(), limit: 100, offset: 0 });
      expect(inRegion.total).toBeGreaterThan(0);
      expect(inRegion.organizations.every((o) => o.region === region)).toBe(true);
      await db.close();
    });

    it('looks members up only within the organization asked about, and filters them', async () => {
      const { db, store } = await open();
      const allen = (await store.resolve('allen-firestation'))!;
      expect(await store.member(allen.id, 'james_smith')).toBeUndefined();
      expect((await store.member(allen.id, 'LINDA_BAKER'))?.username).toBe('linda_baker');
      const dallas = (await store.resolve('dallas-police'))!;
      const all = await store.members(dallas.id, { limit: 100, offset: 0 });
      expect(all.total).toBe(all.members.length);
      const admins = await store.members(dallas.id, {
        permission: 'view_agency_users',
        limit: 100,
        offset: 0,
      });
      expect(admins.members.every((m) => m.permissions.includes('view_agency_users'))).toBe(true);
      expect(admins.total).toBeLessThan(all.total);
      const q = await store.members(dallas.id, { query: 'JAMES', limit: 100, offset: 0 });
      expect(q.members.map((m) => m.username)).toContain('james_smith');
      await db.close();
    });

    it('writes a permission change and its event in one transaction; an unchanged set writes nothing', async () => {
      const { db, store } = await open();
      const org = (await store.resolve('allen-firestation'))!;
      const n0 = await eventCount(db);
      const r = await store.setPermissions(
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
      expect(await eventCount(db)).toBe(n0 + 1);
      const ev = await db.db
        .selectFrom('events')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      expect(ev).toMatchObject({
        actor: 'admin',
        action: 'member.permissions_set',
        subject: 'linda_baker',
        note: 'audit',
      });
      expect(JSON.parse(ev.before!)).toEqual(['view_records']);
      expect(
        (await store.setPermissions(org, 'linda_baker', ['view_records', 'view_agency_users'], 'admin'))
          ?.changed,
      ).toBe(false);
      expect(await eventCount(db)).toBe(n0 + 1);
      expect(await store.setPermissions(org, 'james_smith', [], 'admin')).toBeUndefined();
      await expect(db.db.updateTable('events').set({ actor: 'x' }).execute()).rejects.toThrow(/append-only/);
      await expect(db.db.deleteFrom('events').execute()).rejects.toThrow(/append-only/);
      if (backend === 'postgres')
        await expect(sql`TRUNCATE events`.execute(db.db)).rejects.toThrow(/append-only/);
      expect(await eventCount(db)).toBe(n0 + 1);
      await db.close();
    });

    it.runIf(backend === 'postgres')(
      'two writers on one member at once (two connection pools) lose neither change nor its event',
      async () => {
        const where = await place(backend);
        const a = await openOrganizationsDb(where);
        const b = await openOrganizationsDb(where);
        expect([a.seeded, b.seeded].sort()).toEqual([false, true]);
        const sa = new OrgStore(a.store);
        const sb = new OrgStore(b.store);
        const org = (await sa.resolve('allen-firestation'))!;
        const n0 = await eventCount(a.store);
        const [ra, rb] = await Promise.all([
          sa.setPermissions(org, 'linda_baker', ['view_records', 'edit_records'], 'admin-a'),
          sb.setPermissions(org, 'linda_baker', ['view_records', 'share_evidence'], 'admin-b'),
        ]);
        expect(await eventCount(a.store)).toBe(n0 + 2);
        // One ran after the other and saw its result as "before": A ran second when it saw B's share_evidence.
        const [first, second] = ra!.before.includes('share_evidence') ? [rb!, ra!] : [ra!, rb!];
        expect(first.before).toEqual(['view_records']);
        expect(second.before).toEqual(first.after);
        expect((await sa.member(org.id, 'linda_baker'))?.permissions).toEqual(second.after);
        await a.store.close();
        await b.store.close();
      },
    );
  });
});
