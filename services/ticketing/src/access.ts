/**
 * Who may see and change which tickets (DESIGN.md roles table), from the verified caller only.
 * A ticket the caller may not see does not exist for them.
 */
import { primaryRole, type Principal, type Role } from '@msi/kit';
import { DEMO_ORGANIZATIONS, DEMO_USERS } from '@msi/kit/demo';

export type Caller = Pick<Principal, 'username' | 'roles' | 'organizations' | 'isService'>;

/** The caller's effective role; undefined for service tokens and people without a role (they see nothing). */
export function roleOf(caller: Caller): Role | undefined {
  if (caller.isService || !caller.username) return undefined;
  return primaryRole(caller);
}

export const isStaff = (caller: Caller) => {
  const r = roleOf(caller);
  return r === 'agent' || r === 'supervisor' || r === 'admin';
};
export const seesAll = (caller: Caller) => {
  const r = roleOf(caller);
  return r === 'supervisor' || r === 'admin';
};
export const canAssign = seesAll;

/** SQL condition over `t` (tickets) for the tickets the caller may see, with its parameters. */
export function visibility(caller: Caller): { sql: string; params: unknown[] } {
  const role = roleOf(caller);
  if (role === 'supervisor' || role === 'admin') return { sql: '1 = 1', params: [] };
  const orgs = caller.organizations;
  if (!role || orgs.length === 0) return { sql: '0 = 1', params: [] };
  const inOrgs = `t.org IN (${orgs.map(() => '?').join(', ')})`;
  if (role === 'agent') return { sql: inOrgs, params: [...orgs] };
  return { sql: `t.reporter = ? AND ${inOrgs}`, params: [caller.username, ...orgs] };
}

export function canSeeTicket(caller: Caller, t: { org: string; reporter: string }): boolean {
  const role = roleOf(caller);
  if (role === 'supervisor' || role === 'admin') return true;
  if (!role || !caller.organizations.includes(t.org)) return false;
  return role === 'agent' || t.reporter === caller.username;
}

/** Organizations whose tickets the caller could see (slugs). */
export function visibleOrganizations(caller: Caller): string[] {
  if (seesAll(caller)) return DEMO_ORGANIZATIONS.map((o) => o.slug);
  if (!roleOf(caller)) return [];
  return DEMO_ORGANIZATIONS.filter((o) => caller.organizations.includes(o.slug)).map((o) => o.slug);
}

/** Support staff a ticket of `org` can be assigned to: supervisors and admins, or agents covering the org. */
export function assignableTo(username: string, org: string): { ok: true } | { ok: false; reason: string } {
  const u = DEMO_USERS.find((x) => x.username === username);
  if (!u || u.role === 'customer')
    return { ok: false, reason: `no support staff member is named "${username}"` };
  if (u.role === 'agent' && !u.organizations.includes(org)) {
    return {
      ok: false,
      reason: `${username} does not support ${org}; assign an agent who does, or a supervisor`,
    };
  }
  return { ok: true };
}
