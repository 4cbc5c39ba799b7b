/**
 * Who may see what (DESIGN.md roles table), from verified claims only:
 * customer: own organization (the `organizations` claim); its members only with the member permission
 *           `view_agency_users` in that organization here. agent: organizations in the claim, with members.
 * supervisor: all. admin: all, and may change member permissions. Service tokens (no person): nothing.
 */
import {
  ToolError,
  canSeeOrganization,
  hasRole,
  seesAllOrganizations,
  type Logger,
  type Principal,
} from '@msi/kit';
import type { OrgRow, OrgStore } from './store/index.js';

/** What every tool, resource and prompt gets: the store, the verified caller, the logger. */
export interface Ctx {
  store: OrgStore;
  principal: Principal;
  log: Logger;
}

/** Slugs the caller may see, or undefined for all. */
export function visibleSlugs(p: Principal): string[] | undefined {
  if (p.isService || p.roles.length === 0) return [];
  return seesAllOrganizations(p) ? undefined : p.organizations;
}

/** The organization named by `ref` if the caller may see it; otherwise "not found" (nothing leaks). */
export async function visibleOrganization({ store, principal }: Ctx, ref: string): Promise<OrgRow> {
  const org = await store.resolve(ref);
  if (!org || principal.isService || !canSeeOrganization(principal, org.slug)) {
    throw notFound(`organization "${ref}"`);
  }
  return org;
}

export async function canSeeMembers({ store, principal: p }: Ctx, org: OrgRow): Promise<boolean> {
  if (p.isService || !canSeeOrganization(p, org.slug)) return false;
  if (hasRole(p, 'agent', 'supervisor', 'admin')) return true;
  return (await store.member(org.id, p.username))?.permissions.includes('view_agency_users') ?? false;
}

/** The organization, when the caller may also see its members; a clear refusal when only the members are hidden. */
export async function organizationWithMembers(ctx: Ctx, ref: string): Promise<OrgRow> {
  const org = await visibleOrganization(ctx, ref);
  if (!(await canSeeMembers(ctx, org))) {
    throw new ToolError(
      `the members of ${org.name} are not visible to you: it takes the member permission view_agency_users in that organization`,
    );
  }
  return org;
}

export const isAdmin = (p: Principal) => !p.isService && hasRole(p, 'admin');

/** The one answer for what does not exist and what the caller may not see. */
export const notFound = (what: string) => new ToolError(`${what} not found`);
