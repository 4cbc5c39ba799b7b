import { SCOPES } from '@msi/kit';

/**
 * Tools that change data, and the scope a call needs (checked before the server is built). Apart from
 * server.ts so that main.ts can mount /mcp without loading the tools (and the MCP SDK) at start-up.
 */
export const WRITE_TOOLS: Record<string, string> = {
  create_ticket: SCOPES.ticketsWrite,
  update_ticket: SCOPES.ticketsWrite,
  add_comment: SCOPES.ticketsWrite,
  resolve_ticket: SCOPES.ticketsWrite,
};
