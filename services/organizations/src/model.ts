/** The organizations vocabulary: what an organization, a deployment and a member can be. */
export { MEMBER_PERMISSIONS, ORG_TYPES, TIERS } from '@msi/kit';
export type { MemberPermission, OrgType, Tier } from '@msi/kit';

/** Service status of an organization (its worst deployment) and of each deployment. */
export const ORG_STATUSES = ['live', 'degraded', 'down'] as const;
export type OrgStatus = (typeof ORG_STATUSES)[number];

/** The products an organization can have deployed (as resources/docs names them). */
export const PRODUCTS = [
  'V700 Body Camera',
  'M500 In-Car Video',
  'Evidence Library',
  'Aware',
  'Docking Station DS-8',
] as const;
export type Product = (typeof PRODUCTS)[number];
