import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import { LIMITS } from '../model.js';
import {
  category,
  orgRef,
  priority,
  product,
  text,
  ticketCore,
  ticketLine,
  type ToolContext,
} from '../schemas.js';

export function registerCreateTicket(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'create_ticket',
    {
      title: 'Create a ticket',
      description:
        'Opens a new ticket reported by the signed-in person. Customers create tickets for their own organization only; org may be left out when the person belongs to exactly one.',
      inputSchema: z
        .object({
          org: orgRef.optional(),
          title: text(LIMITS.title),
          description: text(LIMITS.description),
          priority: priority.optional().describe('Default normal; sets the SLA'),
          category: category.optional(),
          product: product.optional(),
        })
        .strict(),
      outputSchema: { ticket: ticketCore },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    guardTool(log, 'create_ticket', async (args) => {
      const r = store.create(caller, args);
      return toolResult(r, `Created ${ticketLine(r.ticket)}. SLA due ${r.ticket.slaDueAt}.`);
    }),
  );
}
