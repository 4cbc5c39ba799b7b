import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Ctx } from '../access.js';
import { orgRef } from '../inputs.js';
import { organizationJson } from '../resources/organization.js';

export function registerOrgHealthSummary(server: McpServer, ctx: Ctx) {
  server.registerPrompt(
    'org_health_summary',
    {
      title: 'Organization health summary',
      description:
        "Summarize an organization's service health: each deployment's status, recent incidents, what to do next",
      argsSchema: { organization: orgRef },
    },
    async ({ organization }) => {
      const resource = await organizationJson(ctx, organization);
      return {
        description: `Health summary of ${organization}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                'Summarize the service health of this customer organization for a support agent: overall status, ' +
                'each product deployment that is degraded or down with its last incident, and concrete next steps. ' +
                'Be brief; use only the data below.',
            },
          },
          { role: 'user', content: { type: 'resource', resource } },
        ],
      };
    },
  );
}
