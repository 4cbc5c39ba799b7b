/**
 * What a request to the offline provider asks for, read from its words: the kind of request (intent), the
 * filters it names, the organization it names, and the fields of a new ticket.
 */
import type { Principal } from '@msi/kit';
import { clip } from '../../clip.js';

export type Intent =
  | { kind: 'ticket'; number: string }
  | { kind: 'create_ticket' }
  | { kind: 'compare_permissions'; usernames: string[] }
  | { kind: 'org_users' }
  | { kind: 'org_status' }
  | { kind: 'list_orgs' }
  | { kind: 'tickets'; mine: boolean }
  | { kind: 'ticket_stats' }
  | { kind: 'docs' };

export interface Org {
  slug: string;
  name: string;
  legacyName?: string | null;
}

export function detectIntent(text: string, principal: Principal): Intent {
  const t = text.toLowerCase();
  const number = /\bTCK-?\d{3,9}\b/i.exec(text)?.[0];
  if (
    /\b(create|open|file|raise|submit|log|new)\b[^.?!]*\b(ticket|case|issue)\b/.test(t) &&
    !/\bmy\b.*\btickets\b/.test(t)
  ) {
    return { kind: 'create_ticket' };
  }
  if (/\bpermission/.test(t) && /\b(compar|differ|vs\.?|versus|between)/.test(t)) {
    const usernames = [
      ...new Set(
        [...text.matchAll(/\b[a-z][a-z0-9]*(?:[._-][a-z0-9]+)+\b/gi)].map((m) => m[0].toLowerCase()),
      ),
    ]
      .filter((u) => u.includes('_') || u.includes('.'))
      .map((u) => u);
    if (/\b(me|my|mine)\b/.test(t) && !usernames.includes(principal.username))
      usernames.unshift(principal.username);
    return { kind: 'compare_permissions', usernames };
  }
  if (number) return { kind: 'ticket', number: number.toUpperCase().replace(/^TCK-?/, 'TCK-') };
  if (/\btickets?\b/.test(t)) {
    const counting = /\b(how many|count|number of|stats|statistics|summary|overview|breakdown)\b/.test(t);
    // "How many tickets?" is a statistic; "how many urgent tickets?" is a filtered search whose total answers it.
    if (counting && !Object.keys({ ...statusFilter(text), ...priorityFilter(text) }).length)
      return { kind: 'ticket_stats' };
    return { kind: 'tickets', mine: /\b(my|mine|me|i)\b/.test(t) };
  }
  if (/\b(users|members|people|staff|who (works|is) (at|in))\b/.test(t)) return { kind: 'org_users' };
  if (
    /\b(status|health|healthy|down|degraded|outage|deployments?|versions?)\b/.test(t) &&
    !/\bhow (do|can|to)\b/.test(t)
  ) {
    return { kind: 'org_status' };
  }
  if (/\b(list|which|what|show)\b[^.?!]*\b(organizations|orgs|agencies|customers)\b/.test(t))
    return { kind: 'list_orgs' };
  return { kind: 'docs' };
}

export function statusFilter(q: string): Record<string, unknown> {
  const t = q.toLowerCase();
  if (/\bresolved\b/.test(t)) return { status: ['resolved'] };
  if (/\bclosed\b/.test(t)) return { status: ['closed'] };
  if (/\bin progress\b/.test(t)) return { status: ['in_progress'] };
  if (/\b(open|active|unresolved|pending)\b/.test(t))
    return { status: ['open', 'in_progress', 'waiting_on_customer'] };
  return {};
}

export function priorityFilter(q: string): Record<string, unknown> {
  const t = q.toLowerCase();
  const found = (['urgent', 'high', 'normal', 'low'] as const).filter((p) =>
    p === 'urgent'
      ? /\b(urgent|critical)\b/.test(t)
      : new RegExp(`\\b${p}[- ]?(priority|prio)\\b|\\bpriority (is )?${p}\\b|\\b${p} tickets?\\b`).test(t),
  );
  return found.length ? { priority: found } : {};
}

/** The organization the question names, by slug, legacy name, display name or slug words ("dallas police"). */
export function matchOrganization(question: string, orgs: Org[]): Org | undefined {
  const t = ` ${question.toLowerCase().replace(/[^a-z0-9_-]+/g, ' ')} `;
  const has = (s: string) =>
    t.includes(
      ` ${s
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, ' ')
        .trim()} `,
    );
  let best: { org: Org; len: number } | undefined;
  for (const o of orgs) {
    const names = [o.slug, o.slug.replace(/-/g, ' '), o.name, o.legacyName ?? ''].filter(Boolean);
    for (const n of names) if (has(n) && (!best || n.length > best.len)) best = { org: o, len: n.length };
  }
  return best?.org;
}

/** A proper name after "of/for/at/in" ("status of Atlanta Police Department") that is not a ticket or a person. */
export function namedOrganization(question: string): string | undefined {
  const m = /\b(?:of|for|at|in|from)\s+(?:the\s+)?((?:[A-Z][\w'-]*|of)(?:\s+(?:[A-Z][\w'-]*|of))*)/.exec(
    question,
  );
  const name = m?.[1]?.replace(/\s+of$/, '').trim();
  if (!name || /^TCK-?\d+$/i.test(name) || /^(My|Our|Me)$/.test(name)) return undefined;
  return name;
}

export function ticketFields(q: string): Record<string, unknown> {
  const text = q.trim();
  const quoted = /["“']([^"”']{4,200})["”']/.exec(text)?.[1];
  const afterColon = /:\s*(.{4,})$/s.exec(text)?.[1];
  const afterWord = /\b(?:about|regarding|titled|saying|because|that)\b\s+(.{4,})$/is.exec(text)?.[1];
  let title = (quoted ?? afterColon ?? afterWord ?? text)
    .split('\n')[0]!
    .trim()
    .replace(/[.!?]+$/, '');
  if (title.length > 120) title = `${clip(title, 117).trimEnd()}…`;
  title = title.charAt(0).toUpperCase() + title.slice(1);
  const t = text.toLowerCase();
  const priority = /\burgent\b/.test(t)
    ? 'urgent'
    : /\bhigh\b/.test(t)
      ? 'high'
      : /\blow\b/.test(t)
        ? 'low'
        : undefined;
  const product = /\b(dock|ds-?8)/.test(t)
    ? 'docking_station'
    : /\b(body[- ]?cam|v700)/.test(t)
      ? 'body_camera'
      : /\b(in-?car|m500)\b/.test(t)
        ? 'in_car_video'
        : /\baware\b/.test(t)
          ? 'aware'
          : /\b(sso|single sign-on|login|sign in)\b/.test(t)
            ? 'sso'
            : /\bevidence\b/.test(t)
              ? 'evidence_management'
              : undefined;
  return {
    title,
    description: clip((afterColon ?? text).trim(), 10_000),
    ...(priority ? { priority } : {}),
    ...(product ? { product } : {}),
  };
}
