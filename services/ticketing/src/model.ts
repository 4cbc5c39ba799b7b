/** The ticket vocabulary: statuses and their transitions, priorities and their SLA, limits on text. */
export const STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CATEGORIES = [
  'hardware',
  'software',
  'firmware',
  'connectivity',
  'account_access',
  'evidence',
  'configuration',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const PRODUCTS = [
  'body_camera',
  'in_car_video',
  'docking_station',
  'evidence_management',
  'aware',
  'sso',
  'mobile_app',
  'other',
] as const;
export type Product = (typeof PRODUCTS)[number];

/**
 * Where a status may go with update_ticket. `resolved` is reached only through resolve_ticket (it
 * records the resolution); a resolved ticket can be closed or reopened; a closed ticket is final.
 */
export const TRANSITIONS: Record<Status, readonly Status[]> = {
  open: ['in_progress', 'waiting_on_customer', 'closed'],
  in_progress: ['open', 'waiting_on_customer', 'closed'],
  waiting_on_customer: ['open', 'in_progress', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};
/** Statuses still being worked on: counted as unresolved, and the ones resolve_ticket accepts. */
export const UNRESOLVED: readonly Status[] = ['open', 'in_progress', 'waiting_on_customer'];

/**
 * Hours from creation until the first-response target is due, as the product's own support policy
 * states it (resources/docs/support-ticket-priorities-and-slas.md): urgent 1 hour, high 4 hours,
 * normal 1 business day, low 3 business days (business days counted as 24 hours here).
 */
export const SLA_HOURS: Record<Priority, number> = { urgent: 1, high: 4, normal: 24, low: 72 };

export function slaDue(createdAt: string, priority: Priority): string {
  return new Date(Date.parse(createdAt) + SLA_HOURS[priority] * 3600_000).toISOString();
}

export const LIMITS = {
  title: 200,
  description: 10_000,
  comment: 10_000,
  resolution: 5_000,
  text: 200,
  username: 64,
  org: 120,
  pageSize: 100,
  offset: 100_000,
} as const;

/** `TCK-1042` ⇄ 1042. */
export const NUMBER_PREFIX = 'TCK-';
export const FIRST_NUMBER = 1001;
export const ticketNumber = (id: number) => `${NUMBER_PREFIX}${id}`;
export function parseTicketNumber(s: string): number | undefined {
  const m = /^\s*(?:TCK-?)?(\d{1,9})\s*$/i.exec(s);
  return m ? Number(m[1]) : undefined;
}
