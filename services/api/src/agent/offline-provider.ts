/**
 * The `offline` provider: no model at all. It reads the request, picks tools (my tickets, tickets of an
 * organization, one ticket, create a ticket, users of an organization, compare permissions, organization
 * status, list organizations, else documentation search), calls them through the same path as a model
 * would (approvals included), and streams a templated Markdown answer from the results.
 *
 * It keeps no state: each step re-reads the question and the tool results of this turn, so it is the same
 * state machine whatever happened (a declined approval, a tool error, a cancelled call).
 */
import type { Principal } from '@msi/kit';
import { clip } from '../clip.js';
import type { ToolResult } from '../tools.js';
import { DOC_SEARCH_TOOL } from '../tools.js';
import type { ChatMessage, ModelProvider, ModelToolCall, StepOutput } from './provider.js';

type Intent =
  | { kind: 'ticket'; number: string }
  | { kind: 'create_ticket' }
  | { kind: 'compare_permissions'; usernames: string[] }
  | { kind: 'org_users' }
  | { kind: 'org_status' }
  | { kind: 'list_orgs' }
  | { kind: 'tickets'; mine: boolean }
  | { kind: 'ticket_stats' }
  | { kind: 'docs' };

interface Done {
  name: string;
  args: Record<string, unknown>;
  outcome: ToolResult;
}

interface Org {
  slug: string;
  name: string;
  legacyName?: string | null;
}

const ORG_TOOL = 'list_organizations';

export function offlineProvider(): ModelProvider {
  return {
    name: 'offline',
    async step({ messages, principal, tools }, onDelta): Promise<StepOutput> {
      const { question, done, asked } = currentTurn(messages);
      const available = new Set(tools.map((t) => t.name));
      // "Which organization?" answered with just a name carries on the request it was asked for.
      const next =
        asked && detectIntent(question, principal).kind === 'docs'
          ? plan(asked, principal, done, available, question)
          : plan(question, principal, done, available);
      if ('call' in next) {
        return { text: '', toolCalls: [{ id: `offline_${done.length + 1}`, ...next.call }] };
      }
      for (const piece of next.answer.match(/[^\n]*\n|[^\n]+$/g) ?? []) onDelta(piece);
      return { text: next.answer, toolCalls: [] };
    },
  };
}

/** The question of this turn and the tool calls made for it so far, with their outcomes; `asked` is the
 *  previous question when the previous answer asked which organization it was about. */
function currentTurn(messages: ChatMessage[]): { question: string; done: Done[]; asked?: string } {
  let i = messages.length - 1;
  while (i >= 0 && messages[i]!.role !== 'user') i--;
  const question = i >= 0 ? (messages[i] as { content: string }).content : '';
  const before = messages[i - 1];
  const earlier = messages[i - 2];
  const asked =
    before?.role === 'assistant' && before.content.startsWith(ASK_ORG) && earlier?.role === 'user'
      ? earlier.content
      : undefined;
  const calls = new Map<string, ModelToolCall>();
  const done: Done[] = [];
  for (const m of messages.slice(i + 1)) {
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) calls.set(c.id, c);
    if (m.role === 'tool') {
      const c = calls.get(m.toolCallId);
      done.push({ name: m.name, args: c ? safeJson(c.arguments) : {}, outcome: m.outcome });
    }
  }
  return { question, done, ...(asked ? { asked } : {}) };
}

function safeJson(s: string): Record<string, unknown> {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return {};
  }
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

type Step = { call: { name: string; arguments: string } } | { answer: string };
const call = (name: string, args: Record<string, unknown>): Step => ({
  call: { name, arguments: JSON.stringify(args) },
});

export function plan(
  question: string,
  principal: Principal,
  done: Done[],
  available: Set<string>,
  /** The person's answer to "which organization?", when this carries on an earlier question. */
  orgAnswer?: string,
): Step {
  const intent = detectIntent(question, principal);
  const last = (name: string) => [...done].reverse().find((d) => d.name === name);

  if (intent.kind === 'docs') {
    const r = last(DOC_SEARCH_TOOL);
    return r ? { answer: renderDocs(r.outcome) } : call(DOC_SEARCH_TOOL, { query: question.slice(0, 500) });
  }
  if (intent.kind === 'list_orgs') {
    const r = last(ORG_TOOL);
    return r ? { answer: renderOrgList(r.outcome) } : call(ORG_TOOL, { limit: 100 });
  }
  if (intent.kind === 'ticket') {
    const r = last('get_ticket');
    return r
      ? { answer: renderTicket(intent.number, r.outcome) }
      : call('get_ticket', { number: intent.number });
  }
  if (intent.kind === 'tickets' && intent.mine) {
    const r = last('search_tickets');
    if (r) return { answer: renderTickets(r.outcome, 'Your tickets') };
    const mine = principal.roles.includes('customer')
      ? { reporter: principal.username }
      : { assignee: principal.username };
    return call('search_tickets', {
      ...mine,
      ...statusFilter(question),
      ...priorityFilter(question),
      limit: 25,
    });
  }

  // Everything else concerns one organization: find which, among those this person may see.
  const orgs = last(ORG_TOOL);
  if (!orgs) return call(ORG_TOOL, { limit: 100 });
  const visible = orgList(orgs.outcome);
  const named = orgAnswer?.trim() || namedOrganization(question.split(':')[0]!);
  const matched = matchOrganization(orgAnswer ?? question, visible);
  // An organization named but not among those visible does not exist for this person.
  if (!matched && named)
    return { answer: `I found no organization "${named}" among those you can see.${OFFLINE_NOTE}` };
  const org = matched ?? (visible.length === 1 ? visible[0] : undefined);
  const ownOrg = principal.organizations.length === 1 ? principal.organizations[0] : undefined;

  switch (intent.kind) {
    case 'tickets': {
      const r = last('search_tickets');
      if (r)
        return { answer: renderTickets(r.outcome, org ? `Tickets of ${org.name}` : 'Tickets you can see') };
      return call('search_tickets', {
        ...(org ? { org: org.slug } : {}),
        ...statusFilter(question),
        ...priorityFilter(question),
        limit: 25,
      });
    }
    case 'ticket_stats': {
      const r = last('ticket_stats');
      if (r)
        return { answer: renderStats(r.outcome, org ? `Tickets of ${org.name}` : 'Tickets you can see') };
      return call('ticket_stats', org ? { org: org.slug } : {});
    }
    case 'org_users': {
      if (!org) return { answer: askWhichOrg(visible, 'whose users to list') };
      const r = last('get_organization_users');
      return r
        ? { answer: renderUsers(org, r.outcome) }
        : call('get_organization_users', { organization: org.slug, limit: 100 });
    }
    case 'org_status': {
      if (!org) return { answer: askWhichOrg(visible, 'whose status to show') };
      const r = last('get_organization');
      return r
        ? { answer: renderOrgStatus(r.outcome) }
        : call('get_organization', { organization: org.slug });
    }
    case 'compare_permissions': {
      const target = org ?? visible.find((o) => o.slug === ownOrg);
      if (intent.usernames.length < 2) {
        return {
          answer:
            'Name at least two usernames to compare, for example: *compare permissions of james_smith and maria_garcia in Dallas Police*.',
        };
      }
      if (!target) return { answer: askWhichOrg(visible, 'in which organization to compare them') };
      const r = last('compare_user_permissions');
      return r
        ? { answer: renderComparison(target, r.outcome) }
        : call('compare_user_permissions', {
            organization: target.slug,
            usernames: intent.usernames.slice(0, 20),
          });
    }
    case 'create_ticket': {
      if (!available.has('create_ticket'))
        return { answer: 'You cannot create tickets with your current rights.' };
      const target = org ?? visible.find((o) => o.slug === ownOrg);
      if (!target) return { answer: askWhichOrg(visible, 'which organization the ticket is for') };
      const r = last('create_ticket');
      if (r) return { answer: renderCreated(r.outcome, target) };
      return call('create_ticket', { org: target.slug, ...ticketFields(question) });
    }
  }
}

function statusFilter(q: string): Record<string, unknown> {
  const t = q.toLowerCase();
  if (/\bresolved\b/.test(t)) return { status: ['resolved'] };
  if (/\bclosed\b/.test(t)) return { status: ['closed'] };
  if (/\bin progress\b/.test(t)) return { status: ['in_progress'] };
  if (/\b(open|active|unresolved|pending)\b/.test(t))
    return { status: ['open', 'in_progress', 'waiting_on_customer'] };
  return {};
}

function priorityFilter(q: string): Record<string, unknown> {
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

function ticketFields(q: string): Record<string, unknown> {
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

// ---- rendering -------------------------------------------------------------------------------------

type Rec = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));
/** `waiting_on_customer` → "Waiting on customer" (ticket statuses and priorities as a person reads them). */
const words = (v: unknown) => {
  const s = str(v).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};
const cell = (v: unknown) => str(v).replace(/\|/g, '\\|').replace(/\s+/g, ' ');
const table = (head: string[], rows: unknown[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
const OFFLINE_NOTE = '\n\n_Answered offline: no language model, results straight from the tools._';

function failed(o: ToolResult, what: string): string | undefined {
  if (o.ok) return undefined;
  return `I could not ${what}: ${o.error ?? 'the tool failed'}.${OFFLINE_NOTE}`;
}

function obj(o: ToolResult): Rec {
  return o.result && typeof o.result === 'object' ? (o.result as Rec) : {};
}

function orgList(o: ToolResult): Org[] {
  const list = obj(o).organizations;
  return Array.isArray(list) ? (list as Org[]) : [];
}

const ASK_ORG = 'Please say ';

function askWhichOrg(visible: Org[], what: string): string {
  if (!visible.length) return 'You cannot see any organization.';
  return `${ASK_ORG}${what}. You can see: ${visible.map((o) => `${o.name} (\`${o.slug}\`)`).join(', ')}.`;
}

function renderOrgList(o: ToolResult): string {
  const err = failed(o, 'list the organizations');
  if (err) return err;
  const orgs = obj(o).organizations as Rec[];
  return `You can see **${str(obj(o).total)}** organizations:\n\n${table(
    ['Organization', 'Slug', 'Type', 'Region', 'Tier', 'Status'],
    orgs.map((x) => [x.name, x.slug, x.type, x.region, x.tier, x.status]),
  )}${OFFLINE_NOTE}`;
}

function renderTickets(o: ToolResult, heading: string): string {
  const err = failed(o, 'search the tickets');
  if (err) return err;
  const r = obj(o);
  const tickets = (Array.isArray(r.tickets) ? r.tickets : []) as Rec[];
  if (!tickets.length) return `${heading}: no tickets found.${OFFLINE_NOTE}`;
  const total = typeof r.total === 'number' ? r.total : tickets.length;
  return `${heading}: **${total}** ticket${total === 1 ? '' : 's'}${total > tickets.length ? ` (showing ${tickets.length})` : ''}.\n\n${table(
    ['Ticket', 'Title', 'Status', 'Priority', 'Organization', 'Assignee', 'Updated'],
    tickets.map((t) => [
      t.number,
      t.title,
      words(t.status),
      words(t.priority),
      t.organization,
      t.assignee,
      str(t.updatedAt).slice(0, 10),
    ]),
  )}${OFFLINE_NOTE}`;
}

function renderStats(o: ToolResult, heading: string): string {
  const err = failed(o, 'count the tickets');
  if (err) return err;
  const r = obj(o);
  const counts = (x: unknown) =>
    Object.entries((x && typeof x === 'object' ? x : {}) as Record<string, number>);
  const byOrg = counts(r.byOrganization).sort((a, b) => b[1] - a[1]);
  return `${heading}: **${str(r.total)}** tickets, **${str(r.unresolved)}** unresolved, **${str(r.overdue)}** past their SLA.\n\n${table(
    ['Status', 'Tickets'],
    counts(r.byStatus).map(([k, v]) => [words(k), v]),
  )}\n\n${table(
    ['Priority', 'Tickets'],
    counts(r.byPriority).map(([k, v]) => [words(k), v]),
  )}${byOrg.length ? `\n\n${table(['Organization', 'Tickets'], byOrg.slice(0, 15))}` : ''}${OFFLINE_NOTE}`;
}

function renderTicket(number: string, o: ToolResult): string {
  const err = failed(o, `open ${number}`);
  if (err) return err;
  const r = obj(o);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : r) as Rec;
  const comments = (
    Array.isArray(r.comments) ? r.comments : Array.isArray(t.comments) ? t.comments : []
  ) as Rec[];
  return (
    [
      `### ${str(t.number)}: ${str(t.title)}`,
      '',
      table(
        ['Status', 'Priority', 'Organization', 'Reporter', 'Assignee', 'SLA due'],
        [
          [
            words(t.status),
            words(t.priority),
            t.organization,
            t.reporter,
            t.assignee,
            str(t.slaDueAt).slice(0, 16),
          ],
        ],
      ),
      '',
      `> ${str(t.description).split('\n').join('\n> ')}`,
      ...(comments.length
        ? [
            '',
            `**Comments** (${comments.length}):`,
            ...comments.slice(-5).map((c) => `- ${str(c.author)}: ${clip(str(c.body), 300)}`),
          ]
        : []),
    ].join('\n') + OFFLINE_NOTE
  );
}

function renderUsers(org: Org, o: ToolResult): string {
  const err = failed(o, `list the users of ${org.name}`);
  if (err) return err;
  const r = obj(o);
  const members = (Array.isArray(r.members) ? r.members : []) as Rec[];
  return `**${org.name}** has **${str(r.total ?? members.length)}** users:\n\n${table(
    ['Name', 'Username', 'Title', 'Permissions'],
    members.map((m) => [m.name, m.username, m.title, (m.permissions as string[] | undefined)?.join(', ')]),
  )}${OFFLINE_NOTE}`;
}

function renderComparison(org: Org, o: ToolResult): string {
  const err = failed(o, `compare those permissions in ${org.name}`);
  if (err) return err;
  const r = obj(o);
  const members = (Array.isArray(r.members) ? r.members : []) as Rec[];
  const rows = (Array.isArray(r.permissions) ? r.permissions : []) as Rec[];
  const names = members.map((m) => String(m.username));
  const diff = (Array.isArray(r.differences) ? r.differences : []) as Rec[];
  return `Permissions in **${org.name}**:\n\n${table(
    ['Permission', ...names],
    rows.map((p) => [p.permission, ...names.map((n) => ((p.grantedTo as string[]).includes(n) ? '✓' : '—'))]),
  )}\n\nIn common: ${(r.common as string[] | undefined)?.join(', ') || 'nothing'}. ${
    diff.length ? `They differ in: ${diff.map((d) => d.permission).join(', ')}.` : 'No differences.'
  }${OFFLINE_NOTE}`;
}

function renderOrgStatus(o: ToolResult): string {
  const err = failed(o, 'get that organization');
  if (err) return err;
  const r = obj(o);
  // The organization's fields, at the top level or under `organization`.
  const org = (r.organization && typeof r.organization === 'object' ? r.organization : r) as Rec;
  const deps = (Array.isArray(r.deployments) ? r.deployments : []) as Rec[];
  return `**${str(org.name)}** (\`${str(org.slug)}\`) — overall status **${str(org.status)}**, Aware service: ${str(org.awareService)}.\n\n${table(
    ['Product', 'Status', 'Version', 'Devices', 'Last incident'],
    deps.map((d) => [
      d.product,
      d.status,
      d.version,
      d.deviceCount,
      d.lastIncident ? `${str(d.lastIncidentAt).slice(0, 10)}: ${str(d.lastIncident)}` : '—',
    ]),
  )}${OFFLINE_NOTE}`;
}

function renderCreated(o: ToolResult, org: Org): string {
  if (!o.ok) {
    if (/declined/i.test(o.error ?? ''))
      return `You declined, so the ticket was **not created**.${OFFLINE_NOTE}`;
    if (/in time/i.test(o.error ?? ''))
      return `The ticket was **not created**: the change was not approved in time.${OFFLINE_NOTE}`;
    if (/cancelled/i.test(o.error ?? ''))
      return `The ticket was **not created**: the turn was cancelled.${OFFLINE_NOTE}`;
    return `I could not create the ticket: ${o.error ?? 'the tool failed'}.${OFFLINE_NOTE}`;
  }
  const r = obj(o);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : r) as Rec;
  return `Created **${str(t.number)}** for ${org.name}: “${str(t.title)}” (priority ${str(t.priority)}, status ${str(t.status)}).${OFFLINE_NOTE}`;
}

function renderDocs(o: ToolResult): string {
  const err = failed(o, 'search the documentation');
  if (err) return err;
  const results = (Array.isArray(obj(o).results) ? obj(o).results : []) as Rec[];
  if (!results.length) return `I found nothing in the documentation about that.${OFFLINE_NOTE}`;
  const parts = results.slice(0, 3).map((x, i) => {
    const text = str(x.text)
      .replace(/^#+ .*\n/gm, '')
      .trim();
    const excerpt = text.length > 600 ? `${text.slice(0, 600).replace(/\s+\S*$/, '')} …` : text;
    const title = str(x.title);
    const section = str(x.section)
      .split(' › ')
      .filter((part, j) => !(j === 0 && part === title))
      .join(' › ');
    return `**${i + 1}. ${title}${section ? ` — ${section}` : ''}**\n\n${excerpt}`;
  });
  return `From the documentation:\n\n${parts.join('\n\n')}\n\nSources are listed below.${OFFLINE_NOTE}`;
}
