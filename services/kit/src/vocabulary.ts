/**
 * The words more than one part uses for customer organizations and their members: the demo directory,
 * the organizations server's model (and its SQLite CHECK constraints), the IDP. Roles are in principal.ts.
 */
export const ORG_TYPES = ['police', 'sheriff', 'fire', 'ems', 'city', 'utility', 'enterprise'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

export const TIERS = ['essentials', 'professional', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** What a member may do in the products of their own organization. */
export const MEMBER_PERMISSIONS = [
  'view_records',
  'edit_records',
  'share_evidence',
  'manage_devices',
  'view_agency_users',
  'manage_agency_users',
] as const;
export type MemberPermission = (typeof MEMBER_PERMISSIONS)[number];

/** `'a', 'b'` for SQL text from a vocabulary list (plain words only: never user input). */
export function sqlList(values: readonly string[]): string {
  for (const v of values)
    if (!/^[a-z0-9_ .-]+$/i.test(v))
      throw new Error(`vocabulary value ${JSON.stringify(v)} cannot go in SQL`);
  return values.map((v) => `'${v}'`).join(', ');
}

/** `CHECK (column IN ('a', 'b'))` for a SQLite table, from a vocabulary list (so it is spelled once). */
export const sqlCheckIn = (column: string, values: readonly string[]) =>
  `CHECK (${column} IN (${sqlList(values)}))`;
