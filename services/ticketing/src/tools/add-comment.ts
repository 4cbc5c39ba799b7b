import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import { LIMITS } from '../model.js';
import { comment, text, ticketCore, ticketRef, type ToolContext } from '../schemas.js';

export function registerAddComment(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'add_comment',
    {
      title: 'Add a comment',
      description:
        'Adds a comment to a ticket. internal: true makes it visible to support staff only (staff only). A customer reply moves a ticket waiting on them back to in progress.',
      inputSchema: z
        .object({
          number: ticketRef,
          body: text(LIMITS.comment),
          internal: z.boolean().default(false),
        })
        .strict(),
      outputSchema: { ticket: ticketCore, comment },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    guardTool(log, 'add_comment', async ({ number, body, internal }) => {
      const r = store.comment(caller, number, { body, internal });
      return toolResult(r, `Added ${internal ? 'an internal' : 'a public'} comment to ${r.ticket.number}.`);
    }),
  );
}
