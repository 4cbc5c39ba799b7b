/**
 * Zod schemas shared by the tools: inputs with limits and field-naming messages, and the output shapes
 * (whose inferred types are the store's result types, store/rows.ts).
 */
import { z } from 'zod';
import { CATEGORIES, LIMITS, PRIORITIES, PRODUCTS, STATUSES } from './model.js';

/** Half of a surrogate pair (a cut emoji): SQLite would store it as bytes that read back as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Trimmed, well-formed text that must not be empty and has a maximum length. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), 'is not well-formed Unicode (half of a surrogate pair)');

export const ticketRef = text(20).describe('Ticket number, e.g. TCK-1042');
export const status = z.enum(STATUSES);
export const priority = z.enum(PRIORITIES);
export const category = z.enum(CATEGORIES);
export const product = z.enum(PRODUCTS);
export const orgRef = text(LIMITS.org).describe('Organization slug (dallas-police) or display name');
export const username = text(LIMITS.username);

export const ticketSummary = z.object({
  number: z.string(),
  organization: z.string(),
  organizationName: z.string(),
  title: z.string(),
  status,
  priority,
  category: z.string(),
  product: z.string(),
  reporter: z.string(),
  assignee: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  slaDueAt: z.string(),
  slaBreached: z.boolean(),
});
export const ticketCore = ticketSummary.extend({
  description: z.string(),
  resolution: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});
export const comment = z.object({
  id: z.number().int(),
  author: z.string(),
  body: z.string(),
  internal: z.boolean(),
  createdAt: z.string(),
});
export const event = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  before: z.record(z.unknown()).nullable(),
  after: z.record(z.unknown()).nullable(),
});

/** One line per ticket for the readable text of results. */
export function ticketLine(t: z.infer<typeof ticketSummary>): string {
  return `${t.number} [${t.status}, ${t.priority}] ${t.title} — ${t.organizationName}, reported by ${t.reporter}${
    t.assignee ? `, assigned to ${t.assignee}` : ', unassigned'
  }${t.slaBreached && t.status !== 'resolved' && t.status !== 'closed' ? ', SLA breached' : ''}`;
}
