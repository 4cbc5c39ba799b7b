/**
 * Every query and write of the organizations database, through the kit's query layer (Kysely) on SQLite or
 * PostgreSQL alike. All values are bound parameters; every write is one transaction.
 */
import type { OrgDb } from '../db.js';
import type { MemberPermission, OrgStatus } from '../model.js';
import { findMember, listMembers, setMemberPermissions, type MemberFilter } from './members.js';
import {
  ORG_COLUMNS,
  containsText,
  publicOrg,
  sameText,
  textOrder,
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
  constructor(readonly store: OrgDb) {}

  private get db() {
    return this.store.db;
  }

  private get dialect() {
    return this.store.dialect;
  }

  /** An organization by slug, display name or legacy name (case-insensitive), or undefined. */
  async resolve(ref: string): Promise<OrgRow | undefined> {
    const k = ref.trim();
    const row = await this.db
      .selectFrom('organizations')
      .select(ORG_COLUMNS)
      .where((eb) =>
        eb.or([
          eb('slug', '=', k.toLowerCase()),
          sameText(this.dialect, 'name', k),
          sameText(this.dialect, 'legacy_name', k),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row as OrgRow | undefined;
  }

  async list(f: OrgFilter): Promise<{ total: number; organizations: Organization[] }> {
    if (f.visible && f.visible.length === 0) return { total: 0, organizations: [] };
    const d = this.dialect;
    const filtered = this.db
      .selectFrom('organizations')
      .$if(f.visible !== undefined, (q) => q.where('slug', 'in', f.visible!))
      .$if(!!f.query, (q) =>
        q.where(containsText(d, ['name', 'slug', 'legacy_name', 'region', 'type'], f.query!)),
      )
      .$if(f.type !== undefined, (q) => q.where('type', '=', f.type!))
      .$if(f.region !== undefined, (q) => q.where(sameText(d, 'region', f.region!)))
      .$if(f.status !== undefined, (q) => q.where('status', '=', f.status!));
    const { n } = await filtered.select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await filtered
      .select(ORG_COLUMNS)
      .orderBy(textOrder(d, 'name', true))
      .limit(f.limit)
      .offset(f.offset)
      .execute();
    return { total: Number(n), organizations: (rows as OrgRow[]).map(publicOrg) };
  }

  async deployments(orgId: number): Promise<Deployment[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .select([
        'product',
        'status',
        'version',
        'device_count as deviceCount',
        'last_incident as lastIncident',
        'last_incident_at as lastIncidentAt',
      ])
      .where('org_id', '=', orgId)
      .orderBy('id')
      .execute();
    return rows as Deployment[];
  }

  async memberCount(orgId: number): Promise<number> {
    const { n } = await this.db
      .selectFrom('members')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** Members of one organization only, optionally filtered by text and permission. */
  members(orgId: number, f: MemberFilter): Promise<{ total: number; members: Member[] }> {
    return listMembers(this.store, orgId, f);
  }

  /** One member of the organization `orgId`, or undefined: a member of another organization is not found. */
  member(orgId: number, username: string): Promise<(Member & { id: number }) | undefined> {
    return findMember(this.store, this.db, orgId, username);
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
    return setMemberPermissions(this.store, org, username, permissions, actor, note);
  }

  /** Slugs of every organization (for supervisors' and admins' lists and completions). */
  async allSlugs(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('organizations')
      .select('slug')
      .orderBy(textOrder(this.dialect, 'slug'))
      .execute();
    return rows.map((r) => r.slug);
  }
}
