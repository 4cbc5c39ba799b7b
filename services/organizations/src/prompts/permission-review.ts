import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { organizationWithMembers, type Ctx } from '../access.js';
import { orgRef } from '../inputs.js';
import { MEMBER_PERMISSIONS } from '../model.js';

export function registerPermissionReview(server: McpServer, ctx: Ctx) {
  server.registerPrompt(
    'permission_review',
    {
      title: 'Permission review',
      description: "Review an organization's member permissions for least privilege and unusual grants",
      argsSchema: { organization: orgRef },
    },
    async ({ organization }) => {
      const org = await organizationWithMembers(ctx, organization);
      const { members } = await ctx.store.members(org.id, { limit: 1000, offset: 0 });
      const table = members
        .map((m) => `- ${m.username} (${m.name}, ${m.title}): ${m.permissions.join(', ') || 'none'}`)
        .join('\n');
      return {
        description: `Permission review of ${org.name}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Review the member permissions of ${org.name} (${org.slug}). Point out grants that do not fit a ` +
                "member's title (least privilege), who can manage agency users, and anything to confirm with the agency. " +
                `Permissions: ${MEMBER_PERMISSIONS.join(', ')}.\n\n${table}`,
            },
          },
        ],
      };
    },
  );
}
