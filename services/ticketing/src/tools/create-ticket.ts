import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { category, orgRef, priority, product, text, ticketCore, ticketLine } from '../inputs.js';
import { LIMITS } from '../model.js';

export const createTicket = defineTool({
  name: 'create_ticket',
  title: 'Create a ticket',
  description:
    'Opens a new ticket reported by the signed-in person. Customers create tickets for their own organization only; org may be left out when the person belongs to exactly one.',
  input: z
    .object({
      org: orgRef.optional(),
      title: text(LIMITS.title),
      description: text(LIMITS.description),
      priority: priority.optional().describe('Default normal; sets the SLA'),
      category: category.optional(),
      product: product.optional(),
    })
    .strict(),
  output: { ticket: ticketCore },
  annotations: { destructiveHint: false, idempotentHint: false },
  scope: SCOPES.ticketsWrite,
  write: true,
  handler: async (args, { store, principal }: Ctx) => {
    const r = await store.create(principal, args);
    return { structured: r, text: `Created ${ticketLine(r.ticket)}. SLA due ${r.ticket.slaDueAt}.` };
  },
});
