import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerPrompts } from './prompts.js';
import { registerTicketResource } from './resources.js';
import type { ToolContext } from './schemas.js';
import { registerAddComment } from './tools/add-comment.js';
import { registerCreateTicket } from './tools/create-ticket.js';
import { registerGetTicket } from './tools/get-ticket.js';
import { registerResolveTicket } from './tools/resolve-ticket.js';
import { registerSearchTickets } from './tools/search-tickets.js';
import { registerTicketStats } from './tools/ticket-stats.js';
import { registerUpdateTicket } from './tools/update-ticket.js';

export { WRITE_TOOLS } from './write-tools.js';

/** Everything the ticketing MCP server offers, bound to one verified caller. */
export function buildTicketingServer(server: McpServer, ctx: ToolContext): void {
  registerSearchTickets(server, ctx);
  registerGetTicket(server, ctx);
  registerCreateTicket(server, ctx);
  registerUpdateTicket(server, ctx);
  registerAddComment(server, ctx);
  registerResolveTicket(server, ctx);
  registerTicketStats(server, ctx);
  registerTicketResource(server, ctx);
  registerPrompts(server, ctx);
}
