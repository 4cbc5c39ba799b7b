/**
 * The ticketing server's own directory: the organizations it knows (slug, display name, legacy name) and
 * the support staff tickets can be assigned to. Nothing here comes from the demo data at run time: the demo
 * seed fills it, every authenticated request keeps the caller's own entry current from the verified claims
 * (only when something changed), and an administrator imports the rest (`directory import`, README).
 */
import type { Db, Principal, Role } from '@msi/kit';
import { roleOf } from '../access.js';

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
    private readonly db: Db,
    private readonly now: () => string,
  ) {}

  /** An organization by slug, display name or legacy name (case-insensitive), or undefined. */
  organization(ref: string): DirectoryOrganization | undefined {
    const k = ref.trim();
    return this.db
      .prepare(
        `SELECT slug, name, legacy_name AS legacyName FROM organizations
         WHERE slug = lower(@k) OR name = @k OR legacy_name = @k LIMIT 1`,
      )
      .get({ k }) as DirectoryOrganization | undefined;
  }

  /** The display name of `slug` (the slug itself when nobody has named it yet). */
  nameOf(slug: string): string {
    const r = this.db.prepare('SELECT name FROM organizations WHERE slug = ?').get(slug) as
      { name: string } | undefined;
    return r?.name ?? slug;
  }

  staff(username: string): StaffMember | undefined {
    const r = this.db
      .prepare('SELECT username, name, role, organizations FROM staff WHERE username = ?')
      .get(username.trim()) as (Omit<StaffMember, 'organizations'> & { organizations: string }) | undefined;
    return r && { ...r, organizations: JSON.parse(r.organizations) as string[] };
  }

  /**
   * Keeps the caller's entry current from their verified claims: the organizations they belong to become
   * known (named by their slug until an import names them), and support staff become assignable with their
   * role and organizations; a person no longer staff is no longer assignable. Writes only on a change.
   */
  noteCaller(p: Principal): void {
    const role = roleOf(p);
    if (!role) return;
    const name = p.name?.trim() || p.username;
    const orgs = [...new Set(p.organizations)].sort();
    const key = JSON.stringify([name, role, orgs]);
    if (this.noted.get(p.username) === key) return;
    const now = this.now();
    this.db.transaction(() => {
      const addOrg = this.db.prepare(
        'INSERT INTO organizations (slug, name, updated_at) VALUES (?, ?, ?) ON CONFLICT (slug) DO NOTHING',
      );
      for (const slug of orgs) addOrg.run(slug, slug, now);
      if (role === 'customer') this.db.prepare('DELETE FROM staff WHERE username = ?').run(p.username);
      else this.upsertStaff({ username: p.username, name, role, organizations: orgs }, now);
    })();
    this.noted.set(p.username, key);
  }

  /** Adds or updates organizations and staff, all or nothing. */
  import(data: DirectoryData): { organizations: number; staff: number } {
    const now = this.now();
    this.db.transaction(() => {
      const org = this.db.prepare(
        `INSERT INTO organizations (slug, name, legacy_name, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (slug) DO UPDATE SET name = excluded.name, legacy_name = excluded.legacy_name,
           updated_at = excluded.updated_at`,
      );
      for (const o of data.organizations) org.run(o.slug, o.name, o.legacyName ?? null, now);
      for (const s of data.staff) this.upsertStaff(s, now);
    })();
    this.noted.clear();
    return { organizations: data.organizations.length, staff: data.staff.length };
  }

  private upsertStaff(s: StaffMember, now: string): void {
    this.db
      .prepare(
        `INSERT INTO staff (username, name, role, organizations, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET name = excluded.name, role = excluded.role,
           organizations = excluded.organizations, updated_at = excluded.updated_at
         WHERE name IS NOT excluded.name OR role IS NOT excluded.role OR organizations IS NOT excluded.organizations`,
      )
      .run(s.username, s.name, s.role, JSON.stringify([...new Set(s.organizations)].sort()), now);
  }
}
