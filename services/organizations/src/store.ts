/** Every query and write of the organizations database. All SQL is parameterized; writes are one transaction each. */
import { MEMBER_PERMISSIONS, type MemberPermission } from '@msi/kit/demo';
import type { Db } from '@msi/kit';
import type { OrgStatus, Product } from './schema.js';

export interface Organization {
  slug: string;
  name: string;
  legacyName: string | null;
  type: string;
  region: string;
  tier: string;
  status: OrgStatus;
  awareService: string | null;
  customerSince: string;
}
export interface OrgRow extends Organization {
  id: number;
}
export interface Deployment {
  product: Product;
  status: OrgStatus;
  version: string;
  deviceCount: number;
  lastIncident: string | null;
  lastIncidentAt: string | null;
}
export interface Member {
  username: string;
  name: string;
  email: string;
  title: string;
  permissions: MemberPermission[];
}
export interface OrgFilter {
  /** Slugs the caller may see; undefined = all. */
  visible?: string[];
  query?: string;
  type?: string;
  region?: string;
  status?: OrgStatus;
  limit: number;
  offset: number;
}

const ORG_COLUMNS = `id, slug, name, legacy_name AS legacyName, type, region, tier, status,
  aware_service AS awareService, customer_since AS customerSince`;

/** Escapes LIKE wildcards so user text matches literally (with `ESCAPE '\\'`). */
const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const byPermissionOrder = (a: string, b: string) =>
  MEMBER_PERMISSIONS.indexOf(a as MemberPermission) - MEMBER_PERMISSIONS.indexOf(b as MemberPermission);

export class OrgStore {
  constructor(readonly db: Db) {}

  /** An organization by slug, display name or legacy name (case-insensitive), or undefined. */
  resolve(ref: string): OrgRow | undefined {
    const k = ref.trim();
    return this.db
      .prepare(
        `SELECT ${ORG_COLUMNS} FROM organizations
         WHERE slug = lower(@ref) OR name = @ref COLLATE NOCASE OR legacy_name = @ref COLLATE NOCASE LIMIT 1`,
      )
      .get({ ref: k }) as OrgRow | undefined;
  }

  list(f: OrgFilter): { total: number; organizations: Organization[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.visible) {
      if (f.visible.length === 0) return { total: 0, organizations: [] };
      where.push(`slug IN (${f.visible.map(() => '?').join(', ')})`);
      args.push(...f.visible);
    }
    if (f.query) {
      where.push(
        `(name LIKE ? ESCAPE '\\' OR slug LIKE ? ESCAPE '\\' OR legacy_name LIKE ? ESCAPE '\\' OR region LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\')`,
      );
      args.push(...Array(5).fill(likeText(f.query)));
    }
    const equal: [string, unknown][] = [
      ['type = ?', f.type],
      ['region = ? COLLATE NOCASE', f.region],
      ['status = ?', f.status],
    ];
    for (const [clause, value] of equal) {
      if (value === undefined) continue;
      where.push(clause);
      args.push(value);
    }
    const sqlWhere = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM organizations ${sqlWhere}`).get(...args) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`SELECT ${ORG_COLUMNS} FROM organizations ${sqlWhere} ORDER BY name LIMIT ? OFFSET ?`)
      .all(...args, f.limit, f.offset) as OrgRow[];
    return { total, organizations: rows.map(publicOrg) };
  }

  deployments(orgId: number): Deployment[] {
    return this.db
      .prepare(
        `SELECT product, status, version, device_count AS deviceCount, last_incident AS lastIncident,
                last_incident_at AS lastIncidentAt
         FROM deployments WHERE org_id = ? ORDER BY id`,
      )
      .all(orgId) as Deployment[];
  }

  memberCount(orgId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM members WHERE org_id = ?').get(orgId) as { n: number })
      .n;
  }

  /** Members of one organization only, optionally filtered by text and permission. */
  members(
    orgId: number,
    f: { query?: string; permission?: MemberPermission; limit: number; offset: number },
  ): { total: number; members: Member[] } {
    const where = ['m.org_id = ?'];
    const args: unknown[] = [orgId];
    if (f.query) {
      where.push(
        `(m.username LIKE ? ESCAPE '\\' OR m.name LIKE ? ESCAPE '\\' OR m.email LIKE ? ESCAPE '\\' OR m.title LIKE ? ESCAPE '\\')`,
      );
      args.push(...Array(4).fill(likeText(f.query)));
    }
    if (f.permission) {
      where.push('EXISTS (SELECT 1 FROM member_permissions p WHERE p.member_id = m.id AND p.permission = ?)');
      args.push(f.permission);
    }
    const sqlWhere = where.join(' AND ');
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM members m WHERE ${sqlWhere}`).get(...args) as { n: number }
    ).n;
    const rows = this.db
      .prepare(
        `SELECT m.id, m.username, m.name, m.email, m.title FROM members m WHERE ${sqlWhere}
         ORDER BY m.name, m.username LIMIT ? OFFSET ?`,
      )
      .all(...args, f.limit, f.offset) as (Omit<Member, 'permissions'> & { id: number })[];
    return { total, members: rows.map((r) => this.withPermissions(r)) };
  }

  /** One member of the organization `orgId`, or undefined: a member of another organization is not found. */
  member(orgId: number, username: string): (Member & { id: number }) | undefined {
    const row = this.db
      .prepare('SELECT id, username, name, email, title FROM members WHERE org_id = ? AND username = ?')
      .get(orgId, username.trim()) as (Omit<Member, 'permissions'> & { id: number }) | undefined;
    return row && { id: row.id, ...this.withPermissions(row) };
  }

  private withPermissions(r: Omit<Member, 'permissions'> & { id: number }): Member {
    const perms = (
      this.db.prepare('SELECT permission FROM member_permissions WHERE member_id = ?').all(r.id) as {
        permission: string;
      }[]
    )
      .map((p) => p.permission)
      .sort(byPermissionOrder) as MemberPermission[];
    return { username: r.username, name: r.name, email: r.email, title: r.title, permissions: perms };
  }

  /**
   * Replaces a member's permissions and appends the change to the event log, in one transaction.
   * Unchanged permissions write nothing.
   */
  setPermissions(
    org: OrgRow,
    username: string,
    permissions: MemberPermission[],
    actor: string,
    note?: string,
  ): { before: MemberPermission[]; after: MemberPermission[]; changed: boolean; member: Member } | undefined {
    const after = [...new Set(permissions)].sort(byPermissionOrder);
    return this.db.transaction(() => {
      const m = this.member(org.id, username);
      if (!m) return undefined;
      const before = m.permissions;
      const changed = before.join(',') !== after.join(',');
      if (changed) {
        const now = new Date().toISOString();
        this.db.prepare('DELETE FROM member_permissions WHERE member_id = ?').run(m.id);
        const ins = this.db.prepare('INSERT INTO member_permissions (member_id, permission) VALUES (?, ?)');
        for (const p of after) ins.run(m.id, p);
        this.db.prepare('UPDATE members SET updated_at = ? WHERE id = ?').run(now, m.id);
        this.db
          .prepare(
            `INSERT INTO events (at, actor, action, org_id, subject, before, after, note)
             VALUES (?, ?, 'member.permissions_set', ?, ?, ?, ?, ?)`,
          )
          .run(now, actor, org.id, m.username, JSON.stringify(before), JSON.stringify(after), note ?? null);
      }
      const { id: _id, ...member } = m;
      return { before, after, changed, member: { ...member, permissions: after } };
    })();
  }

  /** Slugs of every organization (for supervisors' and admins' lists and completions). */
  allSlugs(): string[] {
    return (this.db.prepare('SELECT slug FROM organizations ORDER BY slug').all() as { slug: string }[]).map(
      (r) => r.slug,
    );
  }
}

export function publicOrg(r: OrgRow): Organization {
  const { id: _id, ...org } = r;
  return org;
}
