import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { orgRef, text, ticketLine, ticketSummary } from '../inputs.js';
import { LIMITS, PRIORITIES, STATUSES } from '../model.js';

/** One value or a list. Built fresh each time so the JSON Schema has no `$ref`s (some model APIs reject them). */
const oneOrMany = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.enum(values), z.array(z.enum(values)).min(1).max(5)])
    .transform((v) => (Array.isArray(v) ? v : [v]) as T[number][]);

export const searchTicketsInput = z
  .object({
    text: text(LIMITS.text)
      .optional()
      .describe('Words to look for in title, description and comments (ranked), or a ticket number'),
    status: oneOrMany(STATUSES).optional().describe('One status or a list'),
    priority: oneOrMany(PRIORITIES).optional().describe('One priority or a list'),
    org: orgRef.optional(),
    assignee: text(LIMITS.username).optional().describe('Username, "me", or "none" for unassigned'),
    reporter: text(LIMITS.username).optional().describe('Username or "me"'),
    sort: z
      .enum(['relevance', 'updated', 'created'])
      .optional()
      .describe('Default: relevance with text, else updated'),
    limit: z.number().int().min(1).max(LIMITS.pageSize).default(20),
    offset: z.number().int().min(0).max(LIMITS.offset).default(0),
  })
  .strict();

export const searchTickets = defineTool({
  name: 'search_tickets',
  title: 'Search tickets',
  description:
    'Find support tickets the signed-in person may see: ranked full-text search plus filters, newest first without text. Returns one page and the total.',
  input: searchTicketsInput,
  output: {
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
    match: z.enum(['all_words', 'any_word', 'number', 'none']),
    tickets: z.array(ticketSummary),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.ticketsRead,
  write: false,
  handler: async (args, { store, principal }: Ctx) => {
    const r = await store.search(principal, args);
    const head =
      r.total === 0
        ? 'No tickets found.'
        : `${r.total} ticket${r.total === 1 ? '' : 's'}${r.match === 'any_word' ? ' matching some of the words' : ''}; showing ${
            r.tickets.length ? `${r.offset + 1}-${r.offset + r.tickets.length}` : 'none (past the end)'
          }:`;
    return { structured: r, text: [head, ...r.tickets.map(ticketLine)].join('\n') };
  },
});
