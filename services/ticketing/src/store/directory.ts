/**
 * The ticketing server's own directory: the organizations it knows (slug, display name, legacy name) and
 * the support staff tickets can be assigned to. Nothing here comes from the demo data at run time: the demo
 * seed fills it, every authenticated request keeps the caller's own entry current from the verified claims
 * (only when something changed), and an administrator imports the rest (`directory import`, README).
 */
import { sql } from 'kysely';
import type { Principal, Role } from '@msi/kit';
import { roleOf } from '../access.js';
import type { TicketingStore } from '../db.js';
import type { Db } from './index.js';

export interface DirectoryOrganization {
  slug: string;
  name: string;
  legacyName: string | null;
}

export type StaffRole = Exclude<Role, 'customer'>;

export interface StaffMember {
  username: string;
  name: string;
  role: StaffRole;
  /** The organizations an agent supports (supervisors and admins: all, whatever is listed). */
  organizations: string[];
}

export interface DirectoryData {
  organizations: { slug: string; name: string; legacyName?: string | null }[];
  staff: StaffMember[];
}

export class Directory {
  /** The last claims noted per username in this process, so an unchanged caller costs no write. */
  private readonly noted = new Map<string, string>();

  constructor(
    private readonly store: TicketingStore,
    private readonly now: () => string,
  ) {}

  /** An organization by slug, display name or legacy name (case-insensitive), or undefined. */
  async organization(ref: string, db: Db = this.store.db): Promise<DirectoryOrganization | undefined> {
    const k = ref.trim();
    return db
      .selectFrom('organizations')
      .select(['slug', 'name', 'legacy_name as legacyName'])
      .where((w) => w.or([w('slug', '=', k.toLowerCase()), w('name', '=', k), w('legacy_name', '=', k)]))
      .limit(1)
      .executeTakeFirst();
  }

  /** The display name of `slug` (the slug itself when nobody has named it yet). */
  async nameOf(slug: string, db: Db = this.store.db): Promise<string> {
    const r = await db.selectFrom('organizations').select('name').where('slug', '=', slug).executeTakeFirst();
    return r?.name ?? slug;
  }

  async staff(username: string, db: Db = this.store.db): Promise<StaffMember | undefined> {
    const r = await db
      .selectFrom('staff')
      .select(['username', 'name', 'role', 'organizations'])
      .where('username', '=', username.trim())
      .executeTakeFirst();
    if (!r) return undefined;
    const orgs =
      typeof r.organizations === 'string' ? (JSON.parse(r.organizations) as string[]) : r.organizations;
    return { username: r.username, name: r.name, role: r.role as StaffRole, organizations: orgs };
  }

  /**
   * Keeps the caller's entry current from their verified claims: the organizations they belong to become
   * known (named by their slug until an import names them), and support staff become assignable with their
   * role and organizations; a person no longer staff is no longer assignable. Writes only on a change.
   */
  async noteCaller(p: Principal): Promise<void> {
    const role = roleOf(p);
    if (!role) return;
    const name = p.name?.trim() || p.username;
    const orgs = [...new Set(p.organizations)].sort();
    const key = JSON.stringify([name, role, orgs]);
    if (this.noted.get(p.username) === key) return;
    const now = this.now();
    await this.store.transaction(async (db) => {
      if (orgs.length) {
        await db
          .insertInto('organizations')
          .values(orgs.map((slug) => ({ slug, name: slug, updated_at: now })))
          .onConflict((oc) => oc.column('slug').doNothing())
          .execute();
      }
      if (role === 'customer') await db.deleteFrom('staff').where('username', '=', p.username).execute();
      else await this.upsertStaff(db, { username: p.username, name, role, organizations: orgs }, now);
    });
    this.noted.set(p.username, key);
  }

  /** Adds or updates organizations and staff, all or nothing. */
  async import(data: DirectoryData, db?: Db): Promise<{ organizations: number; staff: number }> {
    const now = this.now();
    const write = async (trx: Db) => {
      for (const o of data.organizations) {
        await trx
          .insertInto('organizations')
          .values({ slug: o.slug, name: o.name, legacy_name: o.legacyName ?? null, updated_at: now })
          .onConflict((oc) =>
            oc.column('slug').doUpdateSet({
              name: (eb) => eb.ref('excluded.name'),
              legacy_name: (eb) => eb.ref('excluded.legacy_name'),
              updated_at: (eb) => eb.ref('excluded.updated_at'),
            }),
          )
          .execute();
      }
      for (const s of data.staff) await this.upsertStaff(trx, s, now);
    };
    if (db) await write(db);
    else await this.store.transaction(write);
    this.noted.clear();
    return { organizations: data.organizations.length, staff: data.staff.length };
  }

  private async upsertStaff(db: Db, s: StaffMember, now: string): Promise<void> {
    const differs = this.store.dialect === 'postgres' ? sql.raw('IS DISTINCT FROM') : sql.raw('IS NOT');
    await sql`INSERT INTO staff (username, name, role, organizations, updated_at)
        VALUES (${s.username}, ${s.name}, ${s.role}, ${JSON.stringify([...new Set(s.organizations)].sort())}, ${now})
        ON CONFLICT (username) DO UPDATE SET name = excluded.name, role = excluded.role,
          organizations = excluded.organizations, updated_at = excluded.updated_at
        WHERE staff.name ${differs} excluded.name OR staff.role ${differs} excluded.role
          OR staff.organizations ${differs} excluded.organizations`.execute(db);
  }
}
