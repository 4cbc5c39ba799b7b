import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import {
  priority,
  status,
  ticketCore,
  ticketLine,
  ticketRef,
  username,
  type ToolContext,
} from '../schemas.js';

export function registerUpdateTicket(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'update_ticket',
    {
      title: 'Update a ticket',
      description:
        'Changes status, priority and/or assignee (support staff; assigning is for supervisors and admins). Status moves only along valid transitions; use resolve_ticket to resolve.',
      inputSchema: z
        .object({
          number: ticketRef,
          status: status.optional(),
          priority: priority.optional(),
          assignee: username.nullable().optional().describe('Support staff username, or null to unassign'),
        })
        .strict(),
      outputSchema: { ticket: ticketCore, changed: z.array(z.string()) },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    guardTool(log, 'update_ticket', async ({ number, ...changes }) => {
      const r = store.update(caller, number, changes);
      const what = r.changed.length ? `Changed ${r.changed.join(', ')}` : 'Nothing to change';
      return toolResult(r, `${what}: ${ticketLine(r.ticket)}`);
    }),
  );
}
