/**
 * Rows as the database hands them back (both backends), and the shapes the tools answer with: the latter are inferred from the output
 * schemas in inputs.ts (type-only, so the store loads no zod at start-up).
 */
import type { z } from 'zod';
import type { comment, event, ticketCore, ticketSummary } from '../inputs.js';
import type { TicketingDb } from '../db.js';
import { ticketNumber } from '../model.js';

/** A ticket row as the query layer hands it back (db.ts). */
export type TicketRow = TicketingDb['tickets'];

export type TicketSummary = z.infer<typeof ticketSummary>;
export type TicketCore = z.infer<typeof ticketCore>;
export type CommentOut = z.infer<typeof comment>;
export type EventOut = z.infer<typeof event>;

/** The columns of a summary, with the organization's display name from the directory as `org_name`. */
export const SUMMARY_COLUMNS = `t.id, t.org, t.title, t.status, t.priority, t.category, t.product, t.reporter,
  t.assignee, t.created_at, t.updated_at, t.resolved_at, t.sla_due_at,
  (SELECT o.name FROM organizations o WHERE o.slug = t.org) AS org_name`;

export type SummaryRow = Omit<TicketRow, 'description' | 'resolution'> & { org_name?: string | null };

/** `now` decides whether an unresolved ticket is past its SLA. */
export function toSummary(r: SummaryRow, now: string): TicketSummary {
  const done = r.resolved_at ?? (r.status === 'closed' ? r.updated_at : now);
  return {
    number: ticketNumber(r.id),
    organization: r.org,
    organizationName: r.org_name ?? r.org,
    title: r.title,
    status: r.status,
    priority: r.priority,
    category: r.category,
    product: r.product,
    reporter: r.reporter,
    assignee: r.assignee,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    slaDueAt: r.sla_due_at,
    slaBreached: done > r.sla_due_at,
  };
}

export function toCore(r: TicketRow & { org_name?: string | null }, now: string): TicketCore {
  return {
    ...toSummary(r, now),
    description: r.description,
    resolution: r.resolution,
    resolvedAt: r.resolved_at,
  };
}

export function toComment(c: {
  id: number;
  author: string;
  body: string;
  internal: number | boolean;
  created_at: string;
}): CommentOut {
  return { id: c.id, author: c.author, body: c.body, internal: Boolean(c.internal), createdAt: c.created_at };
}

/** JSON text (SQLite) or already parsed (PostgreSQL jsonb). */
export function fromJson<T>(v: string | T | null): T | null {
  return typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

export function toEvent(e: {
  at: string;
  actor: string;
  action: string;
  before: string | Record<string, unknown> | null;
  after: string | Record<string, unknown> | null;
}): EventOut {
  return {
    at: e.at,
    actor: e.actor,
    action: e.action,
    before: fromJson(e.before),
    after: fromJson(e.after),
  };
}
