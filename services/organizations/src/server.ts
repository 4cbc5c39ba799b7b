import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isAdmin, type Ctx } from './access.js';
import { registerListOrganizations } from './tools/list-organizations.js';
import { registerGetOrganization } from './tools/get-organization.js';
import { registerGetOrganizationUsers } from './tools/get-organization-users.js';
import { registerCompareUserPermissions } from './tools/compare-user-permissions.js';
import { registerSetMemberPermissions } from './tools/set-member-permissions.js';
import { registerOrganizationResource } from './resources/organization.js';
import { registerOrgHealthSummary } from './prompts/org-health-summary.js';
import { registerPermissionReview } from './prompts/permission-review.js';

export { SERVER_NAME, SERVER_VERSION, WRITE_TOOLS } from './server-info.js';

/**
 * Everything this server offers the verified caller of one request. set_member_permissions exists
 * only for administrators: for anyone else it is not listed and calling it answers "not found".
 */
export function buildServer(server: McpServer, ctx: Ctx): void {
  registerListOrganizations(server, ctx);
  registerGetOrganization(server, ctx);
  registerGetOrganizationUsers(server, ctx);
  registerCompareUserPermissions(server, ctx);
  if (isAdmin(ctx.principal)) registerSetMemberPermissions(server, ctx);
  registerOrganizationResource(server, ctx);
  registerOrgHealthSummary(server, ctx);
  registerPermissionReview(server, ctx);
}
