/** Roles, scopes and the signed-in person as every resource server sees them (DESIGN.md roles table). */
import type { Role } from '@msi/contracts/roles';

// Roles and scopes are defined once, in contracts/ (the renderer and main read the same ones).
export { ROLES, type Role } from '@msi/contracts/roles';
export { SCOPES } from '@msi/contracts/endpoints';

export interface Principal {
  /** Subject: the user's stable id (for service clients, the client id). */
  sub: string;
  username: string;
  name?: string;
  email?: string;
  roles: Role[];
  /** Organization slugs from the `organizations` claim. */
  organizations: string[];
  scopes: string[];
  clientId: string;
  audience: string;
  jti?: string;
  /** The sign-in the token belongs to (our IDP: its grant; exchanged tokens keep their subject's). */
  sid?: string;
  expiresAt: number;
  /** True for client-credentials tokens: no person behind them, so no person's rights. */
  isService: boolean;
}

const RANK: Record<Role, number> = { customer: 0, agent: 1, supervisor: 2, admin: 3 };

/** The strongest role held (a principal with no role is treated as a customer with nothing). */
export function primaryRole(p: Pick<Principal, 'roles'>): Role | undefined {
  return [...p.roles].sort((a, b) => RANK[b] - RANK[a])[0];
}

export function hasRole(p: Pick<Principal, 'roles'>, ...roles: Role[]): boolean {
  return p.roles.some((r) => roles.includes(r));
}

/** Supervisors and admins see every organization. */
export function seesAllOrganizations(p: Pick<Principal, 'roles'>): boolean {
  return hasRole(p, 'supervisor', 'admin');
}

/** Whether the organization `slug` exists for this principal at all. */
export function canSeeOrganization(p: Pick<Principal, 'roles' | 'organizations'>, slug: string): boolean {
  return seesAllOrganizations(p) || (p.roles.length > 0 && p.organizations.includes(slug));
}

export function hasScope(p: Pick<Principal, 'scopes'>, scope: string): boolean {
  return p.scopes.includes(scope);
}
