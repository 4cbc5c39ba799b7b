/** Input and output schemas shared by the tools (zod 3), with limits and messages that name the problem. */
import { z } from 'zod';
import { MEMBER_PERMISSIONS, ORG_STATUSES, ORG_TYPES, PRODUCTS, TIERS } from './model.js';

const text = (max: number) =>
  z
    .string({ invalid_type_error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

/** False for text with half of a surrogate pair (a cut emoji): SQLite would store bytes that read back as U+FFFD. */
export const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

export const orgRef = text(120).describe(
  'The organization: slug (dallas-police), display name (Dallas Police Department) or legacy name (Dallas_Police)',
);
export const username = text(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"')
  .describe('A member username, e.g. james_smith');
export const searchText = (what: string) => text(200).optional().describe(`Words to look for in ${what}`);
export const permission = z.enum(MEMBER_PERMISSIONS, {
  errorMap: () => ({ message: `must be one of ${MEMBER_PERMISSIONS.join(', ')}` }),
});
export const limit = z.number().int().min(1).max(100).default(25).describe('Page size (1-100, default 25)');
export const offset = z.number().int().min(0).max(1_000_000).default(0).describe('How many results to skip');

export const organizationOut = z.object({
  slug: z.string(),
  name: z.string(),
  legacyName: z.string().nullable(),
  type: z.enum(ORG_TYPES),
  region: z.string(),
  tier: z.enum(TIERS),
  status: z.enum(ORG_STATUSES),
  awareService: z.string().nullable(),
  customerSince: z.string(),
});
export const deploymentOut = z.object({
  product: z.enum(PRODUCTS),
  status: z.enum(ORG_STATUSES),
  version: z.string(),
  deviceCount: z.number().int(),
  lastIncident: z.string().nullable(),
  lastIncidentAt: z.string().nullable(),
});
export const memberOut = z.object({
  username: z.string(),
  name: z.string(),
  email: z.string(),
  title: z.string(),
  permissions: z.array(z.enum(MEMBER_PERMISSIONS)),
});
export const page = {
  total: z.number().int().describe('How many match in all'),
  offset: z.number().int(),
  limit: z.number().int(),
  nextOffset: z.number().int().nullable().describe('Offset of the next page, or null on the last page'),
};
export const nextOffset = (offset: number, shown: number, total: number) =>
  offset + shown < total ? offset + shown : null;
