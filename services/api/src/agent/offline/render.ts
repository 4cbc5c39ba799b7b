/** The offline provider's answers: templated Markdown from the tools' results. */
import { clip } from '../../clip.js';
import type { ToolResult } from '../../tools.js';
import type { Org } from './intent.js';
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
export const OFFLINE_NOTE = '\n\n_Answered offline: no language model, results straight from the tools._';

export function failed(o: ToolResult, what: string): string | undefined {
  if (o.ok) return undefined;
  return `I could not ${what}: ${o.error ?? 'the tool failed'}.${OFFLINE_NOTE}`;
}

export function obj(o: ToolResult): Rec {
  return o.result && typeof o.result === 'object' ? (o.result as Rec) : {};
}

export function orgList(o: ToolResult): Org[] {
  const list = obj(o).organizations;
  return Array.isArray(list) ? (list as Org[]) : [];
}

export const ASK_ORG = 'Please say ';

export function askWhichOrg(visible: Org[], what: string): string {
  if (!visible.length) return 'You cannot see any organization.';
  return `${ASK_ORG}${what}. You can see: ${visible.map((o) => `${o.name} (\`${o.slug}\`)`).join(', ')}.`;
}

export function renderOrgList(o: ToolResult): string {
  const err = failed(o, 'list the organizations');
  if (err) return err;
  const orgs = obj(o).organizations as Rec[];
  return `You can see **${str(obj(o).total)}** organizations:\n\n${table(
    ['Organization', 'Slug', 'Type', 'Region', 'Tier', 'Status'],
    orgs.map((x) => [x.name, x.slug, x.type, x.region, x.tier, x.status]),
  )}${OFFLINE_NOTE}`;
}

export function renderTickets(o: ToolResult, heading: string): string {
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
  )}${byOrg.length ? `\n\n${table(['Organization', 'Tickets'], byOrg.slice(0, 15))}` : ''}${OFFLINE_NOTE}`;
}

export function renderTicket(number: string, o: ToolResult): string {
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

export function renderUsers(org: Org, o: ToolResult): string {
  const err = failed(o, `list the users of ${org.name}`);
  if (err) return err;
  const r = obj(o);
  const members = (Array.isArray(r.members) ? r.members : []) as Rec[];
  return `**${org.name}** has **${str(r.total ?? members.length)}** users:\n\n${table(
    ['Name', 'Username', 'Title', 'Permissions'],
    members.map((m) => [m.name, m.username, m.title, (m.permissions as string[] | undefined)?.join(', ')]),
  )}${OFFLINE_NOTE}`;
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
  }${OFFLINE_NOTE}`;
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
  )}${OFFLINE_NOTE}`;
}

export function renderCreated({ outcome: o, approval }: Done, org: Org): string {
  switch (approval?.decision) {
    case 'denied':
      return `You declined, so the ticket was **not created**.${OFFLINE_NOTE}`;
    case 'timeout':
      return `The ticket was **not created**: the change was not approved in time.${OFFLINE_NOTE}`;
    case 'cancelled':
      return `The ticket was **not created**: the turn was cancelled.${OFFLINE_NOTE}`;
  }
  if (!o.ok) return `I could not create the ticket: ${o.error ?? 'the tool failed'}.${OFFLINE_NOTE}`;
  const r = obj(o);
  const t = (r.ticket && typeof r.ticket === 'object' ? r.ticket : r) as Rec;
  return `Created **${str(t.number)}** for ${org.name}: “${str(t.title)}” (priority ${str(t.priority)}, status ${str(t.status)}).${OFFLINE_NOTE}`;
}

export function renderDocs(o: ToolResult): string {
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
