/**
 * Who may see and change which tickets (DESIGN.md roles table), from the verified principal only.
 * A ticket the principal may not see does not exist for them.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { primaryRole, type Logger, type Principal, type Role } from '@msi/kit';
import type { TicketStore } from './store/index.js';
import type { StaffMember } from './store/directory.js';

/** What every tool, resource and prompt gets: the store, the verified caller of this request, the logger. */
export interface Ctx {
  store: TicketStore;
  principal: Principal;
  log: Logger;
}

export type Who = Pick<Principal, 'username' | 'roles' | 'organizations' | 'isService'>;

/** The effective role; undefined for service tokens and people without a role (they see nothing). */
export function roleOf(p: Who): Role | undefined {
  if (p.isService || !p.username) return undefined;
  return primaryRole(p);
}

export const isStaff = (p: Who) => {
  const r = roleOf(p);
  return r === 'agent' || r === 'supervisor' || r === 'admin';
};
export const seesAll = (p: Who) => {
  const r = roleOf(p);
  return r === 'supervisor' || r === 'admin';
};
export const canAssign = seesAll;

/**
 * SQL condition over `t` (tickets) for the tickets the principal may see; undefined for a principal who
 * sees every ticket (no condition at all).
 */
export function visibility(p: Who): RawBuilder<SqlBool> | undefined {
  const role = roleOf(p);
  if (role === 'supervisor' || role === 'admin') return undefined;
  const orgs = p.organizations;
  if (!role || orgs.length === 0) return sql<SqlBool>`1 = 0`;
  const inOrgs = sql<SqlBool>`t.org IN (${sql.join(orgs)})`;
  if (role === 'agent') return inOrgs;
  return sql<SqlBool>`t.reporter = ${p.username} AND ${inOrgs}`;
}

/** Whether tickets of the organization `slug` can exist for the principal (supervisors and admins: all). */
export function seesOrganization(p: Who, slug: string): boolean {
  if (seesAll(p)) return true;
  return roleOf(p) !== undefined && p.organizations.includes(slug);
}

/**
 * Whether a ticket of `org` can be assigned to `staff` (from this server's directory): supervisors and
 * admins take any, agents those of the organizations they support.
 */
export function assignableTo(
  staff: StaffMember | undefined,
  username: string,
  org: string,
): { ok: true } | { ok: false; reason: string } {
  if (!staff) return { ok: false, reason: `no support staff member is named "${username}"` };
  if (staff.role === 'agent' && !staff.organizations.includes(org)) {
    return {
      ok: false,
      reason: `${staff.username} does not support ${org}; assign an agent who does, or a supervisor`,
    };
  }
  return { ok: true };
}
