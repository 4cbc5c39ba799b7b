import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { comment, text, ticketCore, ticketRef } from '../inputs.js';
import { LIMITS } from '../model.js';

export const addComment = defineTool({
  name: 'add_comment',
  title: 'Add a comment',
  description:
    'Adds a comment to a ticket. internal: true makes it visible to support staff only (staff only). A customer reply moves a ticket waiting on them back to in progress.',
  input: z
    .object({ number: ticketRef, body: text(LIMITS.comment), internal: z.boolean().default(false) })
    .strict(),
  output: { ticket: ticketCore, comment },
  annotations: { destructiveHint: false, idempotentHint: false },
  scope: SCOPES.ticketsWrite,
  write: true,
  handler: async ({ number, body, internal }, { store, principal }: Ctx) => {
    const r = await store.comment(principal, number, { body, internal });
    return {
      structured: r,
      text: `Added ${internal ? 'an internal' : 'a public'} comment to ${r.ticket.number}.`,
    };
  },
});
