import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Ctx } from '../access.js';
import { ticketRef } from '../inputs.js';
import { withTicket } from './with-ticket.js';

export function registerDraftReply(server: McpServer, ctx: Ctx) {
  server.registerPrompt(
    'draft_reply',
    {
      title: 'Draft a reply to the customer',
      description: 'Draft a reply to the reporter of a ticket.',
      argsSchema: {
        number: ticketRef,
        tone: z.string().max(40).optional().describe('e.g. friendly, formal'),
      },
    },
    ({ number, tone }) =>
      withTicket(
        ctx,
        number,
        `Draft a ${tone ?? 'friendly, professional'} reply to the reporter of this ticket. Acknowledge the problem, say what happens next, and ask for anything still missing. Never quote or reveal internal comments.`,
      ),
  );
}
