import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { priority, status, ticketCore, ticketLine, ticketRef, username } from '../inputs.js';

export const updateTicket = defineTool({
  name: 'update_ticket',
  title: 'Update a ticket',
  description:
    'Changes status, priority and/or assignee (support staff; assigning is for supervisors and admins). Status moves only along valid transitions; use resolve_ticket to resolve.',
  input: z
    .object({
      number: ticketRef,
      status: status.optional(),
      priority: priority.optional(),
      assignee: username.nullable().optional().describe('Support staff username, or null to unassign'),
    })
    .strict(),
  output: { ticket: ticketCore, changed: z.array(z.string()) },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.ticketsWrite,
  write: true,
  handler: async ({ number, ...changes }, { store, principal }: Ctx) => {
    const r = await store.update(principal, number, changes);
    const what = r.changed.length ? `Changed ${r.changed.join(', ')}` : 'Nothing to change';
    return { structured: r, text: `${what}: ${ticketLine(r.ticket)}` };
  },
});
