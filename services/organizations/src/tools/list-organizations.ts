import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import { visibleSlugs, type Ctx } from '../access.js';
import { limit, nextOffset, offset, organizationOut, page, searchText } from '../inputs.js';
import { ORG_STATUSES, ORG_TYPES } from '../model.js';

export const listOrganizations = defineTool({
  name: 'list_organizations',
  title: 'List organizations',
  description:
    'Search the customer organizations you may see (agencies, cities, utilities) by name and filter by type, region or service status. Paged.',
  input: {
    query: searchText('the name, slug, legacy name, type or region'),
    type: z.enum(ORG_TYPES).optional().describe('Kind of organization'),
    region: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(40, 'must be at most 40 characters')
      .optional()
      .describe('Region, e.g. US-South'),
    status: z.enum(ORG_STATUSES).optional().describe('Overall service status'),
    limit,
    offset,
  },
  output: { ...page, organizations: z.array(organizationOut) },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.orgsRead,
  write: false,
  handler: async (args, ctx: Ctx) => {
    const { total, organizations } = await ctx.store.list({ ...args, visible: visibleSlugs(ctx.principal) });
    const next = nextOffset(args.offset, organizations.length, total);
    const lines = organizations.map(
      (o) => `- ${o.name} (${o.slug}) — ${o.type}, ${o.region}, ${o.tier}, status ${o.status}`,
    );
    const head = total
      ? `${organizations.length ? `${args.offset + 1}-${args.offset + organizations.length}` : 'none'} of ${total} organizations`
      : 'No organizations match.';
    return {
      structured: { total, offset: args.offset, limit: args.limit, nextOffset: next, organizations },
      text: [head, ...lines, ...(next !== null ? [`More: offset ${next}`] : [])].join('\n'),
    };
  },
});
