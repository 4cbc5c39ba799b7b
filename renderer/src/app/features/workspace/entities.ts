/**
 * Entities in what the assistant shows: ticket numbers, organizations and people, found in answers and
 * tool results so that each one opens its panel; and the ticket vocabulary in plain words (status and
 * priority pills, display names instead of slugs). Pure functions: specs beside this file.
 */
import type { ToolCall } from '@msi/contracts/api';

/** TCK-1042 anywhere in text (the ticketing server's numbers). */
export const TICKET_NUMBER = /\bTCK-\d{1,9}\b/g;
export const isTicketNumber = (s: unknown): s is string =>
  typeof s === 'string' && /^TCK-\d{1,9}$/.test(s);

/** The ticket vocabulary (services/ticketing/src/model.ts: STATUSES, TRANSITIONS, PRIORITIES). */
export const STATUSES = [
  'open',
  'in_progress',
  'waiting_on_customer',
  'resolved',
  'closed',
] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketStatus = (typeof STATUSES)[number];
/** Where update_ticket may move a status (resolved only through resolve_ticket; closed is final). */
export const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['in_progress', 'waiting_on_customer', 'closed'],
  in_progress: ['open', 'waiting_on_customer', 'closed'],
  waiting_on_customer: ['open', 'in_progress', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};
export const UNRESOLVED: readonly string[] = ['open', 'in_progress', 'waiting_on_customer'];

const WORDS: Record<string, string> = {
  in_progress: 'In progress',
  waiting_on_customer: 'Waiting on customer',
  body_camera: 'Body camera',
  in_car_video: 'In-car video',
  docking_station: 'Docking station',
  evidence_management: 'Evidence management',
  aware: 'Aware',
  sso: 'SSO',
  mobile_app: 'Mobile app',
  account_access: 'Account access',
};

/** A slug in words: `in_progress` → "In progress", `body_camera` → "Body camera". */
export function words(value: string): string {
  if (WORDS[value]) return WORDS[value];
  // Only slugs: a name ("Docking Station DS-8") stays as it is.
  if (!/^[a-z0-9]+([_-][a-z0-9]+)*$/.test(value)) return value;
  const spaced = value.replace(/[_-]+/g, ' ').trim();
  return spaced ? spaced[0]!.toUpperCase() + spaced.slice(1) : value;
}

/** Column keys shown as pills, and what decides their colour. */
export const PILL_COLUMNS = new Set(['status', 'priority', 'overallStatus', 'awareService']);
/** A pill's tone for a value of status, priority or a deployment status. */
export function pillTone(value: string): 'ok' | 'warn' | 'danger' | 'info' | 'muted' {
  switch (value) {
    case 'urgent':
    case 'outage':
    case 'down':
    case 'critical':
      return 'danger';
    case 'high':
    case 'waiting_on_customer':
    case 'degraded':
    case 'maintenance':
      return 'warn';
    case 'resolved':
    case 'operational':
    case 'active':
    case 'healthy':
    case 'live':
      return 'ok';
    case 'open':
    case 'in_progress':
      return 'info';
    default:
      return 'muted';
  }
}

/** Column keys whose values are dates or times (shown short, never wrapped). */
export const isDateColumn = (key: string) => /(At|Since|Date)$|^(at|date)$/.test(key);
/** An ISO time in a short, local form: "Dec 1, 14:05" (this year) or "Dec 1, 2025". */
export function shortDate(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso))
    return d.toLocaleDateString('en-US', {
      month: 'short',
      day: 'numeric',
      year: 'numeric',
      timeZone: 'UTC',
    });
  const sameYear = d.getFullYear() === now.getFullYear();
  return sameYear
    ? `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })}, ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`
    : d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
}

/** "2 h 14 min", "3 d 4 h", "45 min". */
export function duration(ms: number): string {
  const min = Math.max(0, Math.round(Math.abs(ms) / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

export interface SlaState {
  tone: 'ok' | 'warn' | 'danger' | 'muted';
  text: string;
}
/** The SLA countdown of a ticket: due in…, breached … ago, or met/closed. */
export function slaState(
  t: { slaDueAt: string; status: string; resolvedAt?: string | null },
  now = Date.now(),
): SlaState {
  const due = Date.parse(t.slaDueAt);
  if (!UNRESOLVED.includes(t.status)) {
    const at = t.resolvedAt ? Date.parse(t.resolvedAt) : NaN;
    if (!Number.isNaN(at)) {
      return at <= due
        ? { tone: 'ok', text: 'SLA met' }
        : { tone: 'muted', text: `Resolved ${duration(at - due)} after the SLA` };
    }
    return { tone: 'muted', text: `${words(t.status)}: no SLA running` };
  }
  const left = due - now;
  if (left < 0) return { tone: 'danger', text: `SLA breached ${duration(left)} ago` };
  return { tone: left < 3600_000 ? 'warn' : 'ok', text: `SLA due in ${duration(left)}` };
}

/** Organizations and people named in a message's tool results: what its text can link to. */
export interface KnownEntities {
  /** Display name (and slug) → organization slug. */
  organizations: Map<string, string>;
  /** Username (and display name) → { org slug, username }. */
  people: Map<string, { organization: string; username: string }>;
}

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Collects organizations and people from tool results (tickets, organizations, members). */
export function knownEntities(calls: readonly ToolCall[]): KnownEntities {
  const known: KnownEntities = { organizations: new Map(), people: new Map() };
  const visit = (value: unknown, org: string | undefined, depth: number): void => {
    if (depth > 5) return;
    if (Array.isArray(value)) {
      for (const v of value.slice(0, 500)) visit(v, org, depth + 1);
      return;
    }
    if (!isRow(value)) return;
    let here = org;
    const slug =
      str(value['organization']) ??
      (str(value['type']) && str(value['region']) ? str(value['slug']) : undefined);
    const name =
      str(value['organizationName']) ??
      (slug && value['slug'] === slug ? str(value['name']) : undefined);
    if (slug) {
      here = slug;
      known.organizations.set(slug, slug);
      if (name) known.organizations.set(name, slug);
    }
    const user = str(value['username']);
    if (user && here) {
      known.people.set(user, { organization: here, username: user });
      const display = str(value['name']);
      if (display && display !== name)
        known.people.set(display, { organization: here, username: user });
    }
    const reporter = str(value['reporter']);
    if (reporter && here) known.people.set(reporter, { organization: here, username: reporter });
    for (const [k, v] of Object.entries(value))
      if (typeof v === 'object' && k !== 'history') visit(v, here, depth + 1);
  };
  for (const c of calls) if (c.ok !== false) visit(c.result, undefined, 0);
  return known;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Rendered Markdown with each ticket number, and each known organization or person, as a link that
 * opens its panel (`<a class="entity" href="#ticket/TCK-1042">`): text nodes only, never inside code,
 * pre or an existing link. Works on the HTML string (before Angular's sanitizer, which keeps href/class).
 */
export function linkEntities(html: string, known?: KnownEntities): string {
  const names = [
    ...(known?.organizations.keys() ?? []),
    ...[...(known?.people.keys() ?? [])].filter((n) => n.length > 2),
  ]
    .filter((n) => n.length > 2)
    .sort((a, b) => b.length - a.length);
  const pattern = new RegExp(
    `${TICKET_NUMBER.source}${names.length ? `|(?<![\\w-])(?:${names.map(escapeRe).join('|')})(?![\\w-])` : ''}`,
    'g',
  );
  const displayName = new Map<string, string>();
  for (const [name, slug] of known?.organizations ?? [])
    if (name !== slug) displayName.set(slug, name);
  let skip = 0;
  return html.replace(
    /(<[^>]+>)|([^<]+)/g,
    (all, tag: string | undefined, text: string | undefined) => {
      if (tag) {
        const m = /^<(\/?)(a|code|pre|button)\b/i.exec(tag);
        if (m) skip += m[1] ? -1 : 1;
        skip = Math.max(0, skip);
        return tag;
      }
      if (skip || !text) return all;
      return text.replace(pattern, (hit) => {
        if (isTicketNumber(hit))
          return `<a class="entity ticket-ref" href="#ticket/${hit}" title="Open ${hit}">${hit}</a>`;
        const org = known?.organizations.get(hit);
        if (org) {
          // A slug reads as the organization's name.
          const shown = hit === org ? (displayName.get(org) ?? hit) : hit;
          return `<a class="entity org-ref" href="#org/${encodeURIComponent(org)}" title="Open ${escapeAttr(shown)}">${shown}</a>`;
        }
        const person = known?.people.get(hit);
        if (person)
          return `<a class="entity person-ref" href="#org/${encodeURIComponent(person.organization)}/${encodeURIComponent(person.username)}" title="Open ${escapeAttr(hit)}">${hit}</a>`;
        return hit;
      });
    },
  );
}

/** What an entity link's href opens (`#ticket/TCK-1`, `#org/slug`, `#org/slug/username`). */
export type EntityRef =
  { kind: 'ticket'; number: string } | { kind: 'org'; organization: string; person?: string };
export function entityOf(href: string | null | undefined): EntityRef | null {
  if (!href) return null;
  const t = /^#ticket\/(TCK-\d{1,9})$/.exec(href);
  if (t) return { kind: 'ticket', number: t[1]! };
  const o = /^#org\/([^/]+)(?:\/([^/]+))?$/.exec(href);
  if (o) {
    const organization = decodeURIComponent(o[1]!);
    return o[2]
      ? { kind: 'org', organization, person: decodeURIComponent(o[2]) }
      : { kind: 'org', organization };
  }
  return null;
}

/** Text cut at its ticket numbers, for templates that link them without HTML. */
export function ticketSegments(text: string): { text: string; ticket?: string }[] {
  const out: { text: string; ticket?: string }[] = [];
  let at = 0;
  for (const m of text.matchAll(TICKET_NUMBER)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ text: m[0], ticket: m[0] });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}
