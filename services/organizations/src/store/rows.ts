/**
 * What the store answers with: the shapes are inferred from the tools' output schemas in inputs.ts
 * (type-only, so the store loads no zod at start-up).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '@msi/kit';
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

/** The organization columns under the names the tools use. */
export const ORG_COLUMNS = [
  'id',
  'slug',
  'name',
  'legacy_name as legacyName',
  'type',
  'region',
  'tier',
  'status',
  'aware_service as awareService',
  'customer_since as customerSince',
] as const;

/** `column = value` ignoring ASCII case: COLLATE NOCASE on SQLite, lower() = lower() on PostgreSQL (indexed so). */
export function sameText(dialect: Dialect, column: string, value: string): RawBuilder<boolean> {
  return dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} = ${value} COLLATE NOCASE`
    : sql<boolean>`lower(${sql.ref(column)}) = lower(${value})`;
}

/** Any of `columns` contains `text` literally, ignoring case (LIKE on SQLite is so already; ILIKE on PostgreSQL). */
export function containsText(dialect: Dialect, columns: string[], text: string): RawBuilder<boolean> {
  const op = sql.raw(dialect === 'sqlite' ? 'LIKE' : 'ILIKE');
  const pattern = likeText(text);
  return sql<boolean>`(${sql.join(
    columns.map((c) => sql`${sql.ref(c)} ${op} ${pattern} ESCAPE '\\'`),
    sql` OR `,
  )})`;
}

/**
 * Ordering by a text column as SQLite does, on both: byte order (PostgreSQL's "C" collation, not the
 * server's locale), ignoring ASCII case for the columns that are COLLATE NOCASE on SQLite.
 */
export function textOrder(dialect: Dialect, column: string, nocase = false): RawBuilder<unknown> {
  if (dialect === 'sqlite') return sql`${sql.ref(column)}`;
  return nocase ? sql`lower(${sql.ref(column)}) COLLATE "C"` : sql`${sql.ref(column)} COLLATE "C"`;
}

/** Escapes LIKE wildcards so user text matches literally (with `ESCAPE '\\'`). */
export const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Permissions in the vocabulary's order. */
export const byPermissionOrder = (a: string, b: string) =>
  MEMBER_PERMISSIONS.indexOf(a as MemberPermission) - MEMBER_PERMISSIONS.indexOf(b as MemberPermission);

export function publicOrg(r: OrgRow): Organization {
  const { id: _id, ...org } = r;
  return org;
}
