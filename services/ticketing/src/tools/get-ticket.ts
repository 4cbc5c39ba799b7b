import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { comment, event, ticketCore, ticketLine, ticketRef } from '../inputs.js';
import type { TicketDetail } from '../store/index.js';

/** The readable form of a ticket with its comments (shared by the tool, the resource and the prompts). */
export function ticketText(t: TicketDetail): string {
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

export const getTicket = defineTool({
  name: 'get_ticket',
  title: 'Get a ticket',
  description: 'One ticket by number, with its comments and the history of every change.',
  input: z.object({ number: ticketRef }).strict(),
  output: { ticket: ticketCore, comments: z.array(comment), history: z.array(event) },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.ticketsRead,
  write: false,
  handler: async ({ number }, { store, principal }: Ctx) => {
    const t = await store.get(principal, number);
    return { structured: t, text: ticketText(t) };
  },
});
