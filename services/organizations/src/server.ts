import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerTools } from '@msi/kit';
import type { Ctx } from './access.js';
import { registerOrgHealthSummary } from './prompts/org-health-summary.js';
import { registerPermissionReview } from './prompts/permission-review.js';
import { registerOrganizationResource } from './resources/organization.js';
import { TOOLS } from './tools/index.js';

export { SERVER_NAME, SERVER_VERSION } from './server-info.js';
export { TOOL_SCOPES, TOOLS } from './tools/index.js';

/**
 * Everything this server offers the verified principal of one request. set_member_permissions is offered
 * only to administrators: for anyone else it is not listed and calling it answers "not found".
 */
export function buildServer(server: McpServer, ctx: Ctx): void {
  registerTools(server, ctx, TOOLS);
  registerOrganizationResource(server, ctx);
  registerOrgHealthSummary(server, ctx);
  registerPermissionReview(server, ctx);
}
