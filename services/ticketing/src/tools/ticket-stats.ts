import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { orgRef } from '../inputs.js';
import { PRIORITIES, STATUSES } from '../model.js';

const counts = <T extends readonly [string, ...string[]]>(keys: T) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T[number], z.ZodNumber>);

const fmt = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export const ticketStats = defineTool({
  name: 'ticket_stats',
  title: 'Ticket statistics',
  description:
    'Counts of the tickets the signed-in person may see: by status, priority and organization, unresolved and past their SLA.',
  input: z.object({ org: orgRef.optional() }).strict(),
  output: {
    total: z.number().int(),
    unresolved: z.number().int(),
    overdue: z.number().int(),
    byStatus: counts(STATUSES),
    byPriority: counts(PRIORITIES),
    byOrganization: z.record(z.number().int()),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.ticketsRead,
  write: false,
  handler: async ({ org }, { store, principal }: Ctx) => {
    const s = await store.stats(principal, org);
    return {
      structured: s,
      text: [
        `${s.total} tickets, ${s.unresolved} unresolved, ${s.overdue} past SLA.`,
        `By status: ${fmt(s.byStatus)}.`,
        `By priority: ${fmt(s.byPriority)}.`,
        `By organization: ${fmt(s.byOrganization) || 'none'}.`,
      ].join('\n'),
    };
  },
});
