import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import type { Ctx } from '../access.js';
import { ticketText } from '../tools/get-ticket.js';

/** A prompt's messages: the ticket as the caller may see it (resource), then the instructions. */
export async function withTicket(ctx: Ctx, number: string, instructions: string): Promise<GetPromptResult> {
  const t = await ctx.store.get(ctx.principal, number);
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
