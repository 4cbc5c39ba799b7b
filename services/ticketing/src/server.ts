import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerTools } from '@msi/kit';
import type { Ctx } from './access.js';
import { registerDraftReply } from './prompts/draft-reply.js';
import { registerSummarizeTicket } from './prompts/summarize-ticket.js';
import { registerTicketResource } from './resources/ticket.js';
import { TOOLS } from './tools/index.js';

export { TOOL_SCOPES, TOOLS } from './tools/index.js';

/**
 * Everything the ticketing MCP server offers, bound to one verified principal. The principal's directory
 * entry (organizations, and for staff their role) is kept current from the claims first.
 */
export async function buildTicketingServer(server: McpServer, ctx: Ctx): Promise<void> {
  await ctx.store.directory.noteCaller(ctx.principal);
  registerTools(server, ctx, TOOLS);
  registerTicketResource(server, ctx);
  registerSummarizeTicket(server, ctx);
  registerDraftReply(server, ctx);
}
