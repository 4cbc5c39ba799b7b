import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { text, ticketCore, ticketLine, ticketRef } from '../inputs.js';
import { LIMITS } from '../model.js';

export const resolveTicket = defineTool({
  name: 'resolve_ticket',
  title: 'Resolve a ticket',
  description:
    'Marks an open, in-progress or waiting ticket resolved with a resolution text (support staff).',
  input: z.object({ number: ticketRef, resolution: text(LIMITS.resolution) }).strict(),
  output: { ticket: ticketCore },
  annotations: { destructiveHint: false, idempotentHint: false },
  scope: SCOPES.ticketsWrite,
  write: true,
  handler: async ({ number, resolution }, { store, principal }: Ctx) => {
    const r = await store.resolve(principal, number, resolution);
    return { structured: r, text: `Resolved ${ticketLine(r.ticket)}\nResolution: ${resolution}` };
  },
});
