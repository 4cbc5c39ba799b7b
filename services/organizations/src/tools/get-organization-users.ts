import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import { organizationWithMembers, type Ctx } from '../access.js';
import { limit, memberOut, nextOffset, offset, orgRef, page, permission, searchText } from '../inputs.js';

export const getOrganizationUsers = defineTool({
  name: 'get_organization_users',
  title: 'Get organization users',
  description:
    'The members of one organization with their titles and permissions; filter by text or by a permission. Only members of that organization are ever returned.',
  input: {
    organization: orgRef,
    query: searchText('the username, name, email or title'),
    permission: permission.optional().describe('Only members who have this permission'),
    limit,
    offset,
  },
  output: {
    organization: z.string(),
    organizationName: z.string(),
    ...page,
    members: z.array(memberOut),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.orgsRead,
  write: false,
  handler: async ({ organization, ...f }, ctx: Ctx) => {
    const org = await organizationWithMembers(ctx, organization);
    const { total, members } = await ctx.store.members(org.id, f);
    const next = nextOffset(f.offset, members.length, total);
    const text = [
      `${org.name}: ${total} member${total === 1 ? '' : 's'}${f.query || f.permission ? ' match' : ''}`,
      ...members.map(
        (m) => `- ${m.name} (${m.username}), ${m.title}: ${m.permissions.join(', ') || 'no permissions'}`,
      ),
      ...(next !== null ? [`More: offset ${next}`] : []),
    ].join('\n');
    return {
      structured: {
        organization: org.slug,
        organizationName: org.name,
        total,
        offset: f.offset,
        limit: f.limit,
        nextOffset: next,
        members,
      },
      text: text,
    };
  },
});
