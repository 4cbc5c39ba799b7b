/** Every query and write of the organizations database. All SQL is parameterized; writes are one transaction each. */
import type { Db } from '@msi/kit';
import type { MemberPermission, OrgStatus } from '../model.js';
import { findMember, listMembers, setMemberPermissions, type MemberFilter } from './members.js';
import {
  ORG_COLUMNS,
  likeText,
  publicOrg,
  type Deployment,
  type Member,
  type Organization,
  type OrgRow,
} from './rows.js';

export { publicOrg } from './rows.js';
export type { Deployment, Member, Organization, OrgRow } from './rows.js';
export type { MemberFilter } from './members.js';

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
  members(orgId: number, f: MemberFilter): { total: number; members: Member[] } {
    return listMembers(this.db, orgId, f);
  }

  /** One member of the organization `orgId`, or undefined: a member of another organization is not found. */
  member(orgId: number, username: string): (Member & { id: number }) | undefined {
    return findMember(this.db, orgId, username);
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
  ) {
    return setMemberPermissions(this.db, org, username, permissions, actor, note);
  }

  /** Slugs of every organization (for supervisors' and admins' lists and completions). */
  allSlugs(): string[] {
    return (this.db.prepare('SELECT slug FROM organizations ORDER BY slug').all() as { slug: string }[]).map(
      (r) => r.slug,
    );
  }
}
