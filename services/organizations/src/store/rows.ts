/**
 * What the store answers with: the shapes are inferred from the tools' output schemas in inputs.ts
 * (type-only, so the store loads no zod at start-up).
 */
import type { z } from 'zod';
import type { deploymentOut, memberOut, organizationOut } from '../inputs.js';
import { MEMBER_PERMISSIONS, type MemberPermission } from '../model.js';

export type Organization = z.infer<typeof organizationOut>;
export type Deployment = z.infer<typeof deploymentOut>;
export type Member = z.infer<typeof memberOut>;

/** An organization with its row id (never shown to clients). */
export interface OrgRow extends Organization {
  id: number;
}

export const ORG_COLUMNS = `id, slug, name, legacy_name AS legacyName, type, region, tier, status,
  aware_service AS awareService, customer_since AS customerSince`;

/** Escapes LIKE wildcards so user text matches literally (with `ESCAPE '\\'`). */
export const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Permissions in the vocabulary's order. */
export const byPermissionOrder = (a: string, b: string) =>
  MEMBER_PERMISSIONS.indexOf(a as MemberPermission) - MEMBER_PERMISSIONS.indexOf(b as MemberPermission);

export function publicOrg(r: OrgRow): Organization {
  const { id: _id, ...org } = r;
  return org;
}
