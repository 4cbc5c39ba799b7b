import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import { comment, event, ticketCore, ticketLine, ticketRef, type ToolContext } from '../schemas.js';
import type { TicketStore } from '../store.js';

/** The readable form of a ticket with its comments (shared by the tool, the resource and the prompts). */
export function ticketText(t: ReturnType<TicketStore['get']>): string {
  const lines = [ticketLine(t.ticket), '', t.ticket.description];
  if (t.ticket.resolution) lines.push('', `Resolution: ${t.ticket.resolution}`);
  if (t.comments.length) {
    lines.push('', 'Comments:');
    for (const c of t.comments)
      lines.push(`- ${c.createdAt} ${c.author}${c.internal ? ' (internal)' : ''}: ${c.body}`);
  }
  lines.push('', `History: ${t.history.length} event${t.history.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

export function registerGetTicket(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'get_ticket',
    {
      title: 'Get a ticket',
      description: 'One ticket by number, with its comments and the history of every change.',
      inputSchema: z.object({ number: ticketRef }).strict(),
      outputSchema: { ticket: ticketCore, comments: z.array(comment), history: z.array(event) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guardTool(log, 'get_ticket', async ({ number }) => {
      const t = store.get(caller, number);
      return toolResult(t, ticketText(t));
    }),
  );
}
