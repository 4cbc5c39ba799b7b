import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Ctx } from '../access.js';
import { ticketRef } from '../inputs.js';
import { withTicket } from './with-ticket.js';

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
