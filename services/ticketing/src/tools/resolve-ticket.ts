import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import { LIMITS } from '../model.js';
import { text, ticketCore, ticketLine, ticketRef, type ToolContext } from '../schemas.js';

export function registerResolveTicket(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'resolve_ticket',
    {
      title: 'Resolve a ticket',
      description:
        'Marks an open, in-progress or waiting ticket resolved with a resolution text (support staff).',
      inputSchema: z.object({ number: ticketRef, resolution: text(LIMITS.resolution) }).strict(),
      outputSchema: { ticket: ticketCore },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    guardTool(log, 'resolve_ticket', async ({ number, resolution }) => {
      const r = store.resolve(caller, number, resolution);
      return toolResult(r, `Resolved ${ticketLine(r.ticket)}\nResolution: ${resolution}`);
    }),
  );
}
