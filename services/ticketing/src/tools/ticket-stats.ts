import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { guardTool, toolResult } from '@msi/kit';
import { PRIORITIES, STATUSES } from '../model.js';
import { orgRef, type ToolContext } from '../schemas.js';

const counts = <T extends readonly [string, ...string[]]>(keys: T) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T[number], z.ZodNumber>);

export function registerTicketStats(server: McpServer, { store, caller, log }: ToolContext) {
  server.registerTool(
    'ticket_stats',
    {
      title: 'Ticket statistics',
      description:
        'Counts of the tickets the signed-in person may see: by status, priority and organization, unresolved and past their SLA.',
      inputSchema: z.object({ org: orgRef.optional() }).strict(),
      outputSchema: {
        total: z.number().int(),
        unresolved: z.number().int(),
        overdue: z.number().int(),
        byStatus: counts(STATUSES),
        byPriority: counts(PRIORITIES),
        byOrganization: z.record(z.number().int()),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guardTool(log, 'ticket_stats', async ({ org }) => {
      const s = store.stats(caller, org);
      const fmt = (o: Record<string, number>) =>
        Object.entries(o)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
      return toolResult(
        s,
        [
          `${s.total} tickets, ${s.unresolved} unresolved, ${s.overdue} past SLA.`,
          `By status: ${fmt(s.byStatus)}.`,
          `By priority: ${fmt(s.byPriority)}.`,
          `By organization: ${fmt(s.byOrganization) || 'none'}.`,
        ].join('\n'),
      );
    }),
  );
}
