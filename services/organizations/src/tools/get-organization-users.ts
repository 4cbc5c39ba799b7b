import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { toolResult } from '@msi/kit';
import { organizationWithMembers, type Ctx } from '../access.js';
import { limit, memberOut, nextOffset, offset, orgRef, page, permission, searchText } from '../inputs.js';

export function registerGetOrganizationUsers(server: McpServer, ctx: Ctx) {
  server.registerTool(
    'get_organization_users',
    {
      title: 'Get organization users',
      description:
        'The members of one organization with their titles and permissions; filter by text or by a permission. Only members of that organization are ever returned.',
      inputSchema: {
        organization: orgRef,
        query: searchText('the username, name, email or title'),
        permission: permission.optional().describe('Only members who have this permission'),
        limit,
        offset,
      },
      outputSchema: {
        organization: z.string(),
        organizationName: z.string(),
        ...page,
        members: z.array(memberOut),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ organization, ...f }) => {
      const org = organizationWithMembers(ctx, organization);
      const { total, members } = ctx.store.members(org.id, f);
      const next = nextOffset(f.offset, members.length, total);
      const text = [
        `${org.name}: ${total} member${total === 1 ? '' : 's'}${f.query || f.permission ? ' match' : ''}`,
        ...members.map(
          (m) => `- ${m.name} (${m.username}), ${m.title}: ${m.permissions.join(', ') || 'no permissions'}`,
        ),
        ...(next !== null ? [`More: offset ${next}`] : []),
      ].join('\n');
      return toolResult(
        {
          organization: org.slug,
          organizationName: org.name,
          total,
          offset: f.offset,
          limit: f.limit,
          nextOffset: next,
          members,
        },
        text,
      );
    },
  );
}
