import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { toolResult } from '@msi/kit';
import { visibleSlugs, type Ctx } from '../access.js';
import { limit, nextOffset, offset, organizationOut, page, searchText } from '../inputs.js';
import { ORG_STATUSES, ORG_TYPES } from '../schema.js';

export function registerListOrganizations(server: McpServer, ctx: Ctx) {
  server.registerTool(
    'list_organizations',
    {
      title: 'List organizations',
      description:
        'Search the customer organizations you may see (agencies, cities, utilities) by name and filter by type, region or service status. Paged.',
      inputSchema: {
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
      outputSchema: { ...page, organizations: z.array(organizationOut) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) => {
      const { total, organizations } = ctx.store.list({ ...args, visible: visibleSlugs(ctx.principal) });
      const next = nextOffset(args.offset, organizations.length, total);
      const lines = organizations.map(
        (o) => `- ${o.name} (${o.slug}) — ${o.type}, ${o.region}, ${o.tier}, status ${o.status}`,
      );
      const head = total
        ? `${organizations.length ? `${args.offset + 1}-${args.offset + organizations.length}` : 'none'} of ${total} organizations`
        : 'No organizations match.';
      return toolResult(
        { total, offset: args.offset, limit: args.limit, nextOffset: next, organizations },
        [head, ...lines, ...(next !== null ? [`More: offset ${next}`] : [])].join('\n'),
      );
    },
  );
}
