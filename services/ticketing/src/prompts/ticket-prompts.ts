import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import type { Ctx } from '../access.js';
import { ticketRef } from '../inputs.js';
import { ticketText } from '../tools/get-ticket.js';

function withTicket(ctx: Ctx, number: string, instructions: string): GetPromptResult {
  const t = ctx.store.get(ctx.principal, number);
  return {
    messages: [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: { uri: `ticket://${t.ticket.number}`, mimeType: 'text/plain', text: ticketText(t) },
        },
      },
      { role: 'user', content: { type: 'text', text: instructions } },
    ],
  };
}

export function registerSummarizeTicket(server: McpServer, ctx: Ctx) {
  server.registerPrompt(
    'summarize_ticket',
    {
      title: 'Summarize a ticket',
      description: 'Summarize a ticket: the problem, what has been tried, where it stands and what is next.',
      argsSchema: { number: ticketRef },
    },
    ({ number }) =>
      withTicket(
        ctx,
        number,
        'Summarize this support ticket in at most five sentences: the problem, the affected product, what has been done, the current status and SLA, and the next step.',
      ),
  );
}

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
