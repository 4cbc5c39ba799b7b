/** The offline provider's answers: templated Markdown from the tools' results. */
import { clip } from '../../clip.js';
import { OUTCOME_UNKNOWN } from '../../contract.js';
import type { ToolResult } from '../../tools.js';
import type { TicketFilters } from './intent.js';
import type { Org } from './orgs.js';
import type { Done } from './plan.js';

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
/**
 * The header names Basic mode once per screen; an answer says so itself only where Basic mode is why it
 * could not help, with the next step.
 */
export const BASIC_MODE_HINT =
  '\n\n_Basic mode matches the words of a request without an AI model: try other words, or set up a model in Settings → Model for free-form questions._';

export function failed(o: ToolResult, what: string): string | undefined {
  if (o.ok) return undefined;
  if (o.error?.startsWith(OUTCOME_UNKNOWN)) return unknownOutcome(o.error);
  return `I could not ${what}: ${o.error ?? 'the tool failed'}.`;
}

/** An approved change whose server failed after it was sent: it may have been made; never "could not". */
function unknownOutcome(error: string): string {
  return `**${OUTCOME_UNKNOWN}.** ${error.slice(OUTCOME_UNKNOWN.length).replace(/^:\s*/, '')}`;
}

export function obj(o: ToolResult): Rec {
  return o.result && typeof o.result === 'object' ? (o.result as Rec) : {};
}

export function orgList(o: ToolResult): Org[] {
  const list = obj(o).organizations;
  return Array.isArray(list) ? (list as Org[]) : [];
}

export function renderOrgList(o: ToolResult): string {
  const err = failed(o, 'list the organizations');
  if (err) return err;
  const orgs = obj(o).organizations as Rec[];
  return `You can see **${str(obj(o).total)}** organizations:\n\n${table(
    ['Organization', 'Slug', 'Type', 'Region', 'Tier', 'Status'],
    orgs.map((x) => [x.name, x.slug, x.type, x.region, x.tier, x.status]),
  )}`;
}

/** Whose tickets a search was for: "You have", "Dallas Police Department has", "There are". */
export interface TicketScope {
  mine: boolean;
  org?: Org;
  filters: TicketFilters;
}

const OPEN_SET = 'open,in_progress,waiting_on_customer';

/** The filter of a search in words: its status and priority, and who or what the tickets are about. */
function filterWords(f: TicketFilters) {
  const status =
    f.status?.join(',') === OPEN_SET ? 'open' : f.status?.map((s) => s.replace(/_/g, ' ')).join(' or ');
  const priority = f.priority?.join(' or ');
  const rest = [
    f.assignee === 'none' ? 'with no assignee' : f.assignee ? `assigned to ${f.assignee}` : '',
    f.reporter ? `reported by ${f.reporter}` : '',
    f.text ? `about “${f.text}”` : '',
  ].filter(Boolean);
  return { status, priority, rest: rest.length ? ` ${rest.join(' ')}` : '' };
}

/** "no urgent open tickets assigned to riley_agent" (nothing found) or "**3** tickets that are open and
 *  high priority …" (a count): the filter, kept in the words of the count. */
export function ticketCount({ filters }: TicketScope, n: number): string {
  const { status, priority, rest } = filterWords(filters);
  if (n === 0) return `no ${[priority, status, 'tickets'].filter(Boolean).join(' ')}${rest}`;
  const what = [status, priority && (priority === 'urgent' ? priority : `${priority} priority`)].filter(
    Boolean,
  );
  return `**${n}** ${n === 1 ? 'ticket' : 'tickets'}${what.length ? ` that ${n === 1 ? 'is' : 'are'} ${what.join(' and ')}` : ''}${rest}`;
}

export function renderTickets(o: ToolResult, scope: TicketScope): string {
  const err = failed(o, 'search the tickets');
  if (err) return err;
  const r = obj(o);
  const tickets = (Array.isArray(r.tickets) ? r.tickets : []) as Rec[];
  const total = typeof r.total === 'number' ? r.total : tickets.length;
  const subject = scope.mine ? 'You have' : scope.org ? `${scope.org.name} has` : undefined;
  if (!tickets.length && total === 0)
    return `${subject ?? 'There are'} ${ticketCount(scope, 0)}${subject ? '' : ' that you can see'}.`;
  return `${subject ?? 'You can see'} ${ticketCount(scope, total)}${total > tickets.length ? ` (showing ${tickets.length})` : ''}.\n\n${table(
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
  )}`;
}

export function renderStats(o: ToolResult, heading: string): string {
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
  )}${byOrg.length ? `\n\n${table(['Organization', 'Tickets'], byOrg.slice(0, 15))}` : ''}`;
}

export function renderTicket(number: string, o: ToolResult): string {
  const err = failed(o, `open ${number}`);
  if (err) return err;
  const r = obj(o);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : r) as Rec;
  const comments = (
    Array.isArray(r.comments) ? r.comments : Array.isArray(t.comments) ? t.comments : []
  ) as Rec[];
  return [
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
  ].join('\n');
}

export function renderUsers(org: Org, o: ToolResult): string {
  const err = failed(o, `list the users of ${org.name}`);
  if (err) return err;
  const r = obj(o);
  const members = (Array.isArray(r.members) ? r.members : []) as Rec[];
  return `**${org.name}** has **${str(r.total ?? members.length)}** users:\n\n${table(
    ['Name', 'Username', 'Title', 'Permissions'],
    members.map((m) => [m.name, m.username, m.title, (m.permissions as string[] | undefined)?.join(', ')]),
  )}`;
}

export function renderComparison(org: Org, o: ToolResult): string {
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
  }`;
}

export function renderOrgStatus(o: ToolResult): string {
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
  )}`;
}

/** A change that waited for approval and was not made: why, in the person's words. */
function notMade(d: Done, what: string): string | undefined {
  switch (d.approval?.decision) {
    case 'denied':
      return `You declined, so ${what}.`;
    case 'timeout':
      return `${what.charAt(0).toUpperCase()}${what.slice(1)}: the change was not approved in time.`;
    case 'cancelled':
      return `${what.charAt(0).toUpperCase()}${what.slice(1)}: the turn was cancelled.`;
  }
  return undefined;
}

export function renderCreated({ outcome: o, approval }: Done, org: Org): string {
  switch (approval?.decision) {
    case 'denied':
      return `You declined, so the ticket was **not created**.`;
    case 'timeout':
      return `The ticket was **not created**: the change was not approved in time.`;
    case 'cancelled':
      return `The ticket was **not created**: the turn was cancelled.`;
  }
  if (!o.ok && o.error?.startsWith(OUTCOME_UNKNOWN)) return unknownOutcome(o.error);
  if (!o.ok) return `I could not create the ticket: ${o.error ?? 'the tool failed'}.`;
  const r = obj(o);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : r) as Rec;
  return `Created **${str(t.number)}** for ${org.name}: “${str(t.title)}” (priority ${str(t.priority)}, status ${str(t.status)}).`;
}

export function renderDocs(o: ToolResult): string {
  const err = failed(o, 'search the documentation');
  if (err) return err;
  const results = (Array.isArray(obj(o).results) ? obj(o).results : []) as Rec[];
  if (!results.length) return `I found nothing in the documentation about that.${BASIC_MODE_HINT}`;
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
    // [n] is the answer's n-th source (the citations keep the results' order): a marker the reader can open.
    return `**${i + 1}. ${title}${section ? ` — ${section}` : ''}**\n\n${excerpt} [${i + 1}]`;
  });
  return `From the documentation:\n\n${parts.join('\n\n')}\n\nSources are listed below.`;
}

/** The answer to update_ticket, add_comment or resolve_ticket. */
export function renderTicketChange(d: Done): string {
  const number = str(d.args.number);
  const skipped = notMade(d, `${number} was **not changed**`);
  if (skipped) return skipped;
  const verb = d.name === 'add_comment' ? 'comment on' : d.name === 'resolve_ticket' ? 'resolve' : 'change';
  const err = failed(d.outcome, `${verb} ${number}`);
  if (err) return err;
  const r = obj(d.outcome);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : {}) as Rec;
  const now = `It is now **${words(t.status)}**, priority **${words(t.priority)}**, ${t.assignee ? `assigned to ${str(t.assignee)}` : 'unassigned'}.`;
  if (d.name === 'add_comment')
    return `Added ${d.args.internal ? 'an **internal** comment (staff only)' : 'a **public** comment'} to **${number}**: “${clip(str(d.args.body), 300)}”.`;
  if (d.name === 'resolve_ticket')
    return `Resolved **${number}**: ${clip(str(d.args.resolution), 300)}. ${now}`;
  const changed = Array.isArray(r.changed) ? (r.changed as string[]) : [];
  if (!changed.length) return `**${number}** already had those values; nothing changed. ${now}`;
  return `Updated **${number}** (${changed.join(', ')}). ${now}`;
}

/** The answer to set_member_permissions. */
export function renderPermissionChange(d: Done, org: Org): string {
  const who = str(d.args.username);
  const skipped = notMade(d, `the permissions of ${who} were **not changed**`);
  if (skipped) return skipped;
  const err = failed(d.outcome, `change the permissions of ${who} in ${org.name}`);
  if (err) return err;
  const r = obj(d.outcome);
  const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(', ') : 'none');
  return `Permissions of **${who}** in **${org.name}** are now: ${list(r.after)}.${
    Array.isArray(r.added) && r.added.length ? ` Added: ${list(r.added)}.` : ''
  }${Array.isArray(r.removed) && r.removed.length ? ` Removed: ${list(r.removed)}.` : ''}`;
}
