/**
 * Every tool of the ticketing server, one definition per file. Loading this list loads zod but not the MCP
 * SDK; main.ts loads it after listening (for the scopes each call needs) and server.ts registers it.
 */
import { toolScopes, type AnyTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { addComment } from './add-comment.js';
import { createTicket } from './create-ticket.js';
import { getTicket } from './get-ticket.js';
import { resolveTicket } from './resolve-ticket.js';
import { searchTickets } from './search-tickets.js';
import { ticketStats } from './ticket-stats.js';
import { updateTicket } from './update-ticket.js';

export const TOOLS: readonly AnyTool<Ctx>[] = [
  searchTickets,
  getTicket,
  createTicket,
  updateTicket,
  addComment,
  resolveTicket,
  ticketStats,
];

export const TOOL_SCOPES = toolScopes(TOOLS);
