/**
 * The offline provider's state machine: from the request and the tool calls made for it so far, the next
 * tool call or the answer. It keeps no state of its own: the organizations list, a member's lookup and the
 * target tool's result are all read back from this turn's calls.
 */
import type { Principal } from '@msi/kit';
import { MEMBER_PERMISSIONS } from '@msi/kit';
import type { ToolResult } from '../../tools.js';
import { DOC_SEARCH_TOOL } from '../../tools.js';
import type { ApprovalOutcome } from '../approvals.js';
import type { Org } from './orgs.js';
import {
  failed,
  obj,
  orgList,
  renderComparison,
  renderCreated,
  renderDocs,
  renderOrgList,
  renderOrgStatus,
  renderPermissionChange,
  renderStats,
  renderTicket,
  renderTicketChange,
  renderTickets,
  renderUsers,
} from './render.js';
import { ORG_TOOL, askWhichOrg, route, type Target } from './route.js';

export interface Done {
  name: string;
  args: Record<string, unknown>;
  outcome: ToolResult;
  /** For a call that changes data: how the person's approval was settled. */
  approval?: ApprovalOutcome;
}

export type Step = { call: { name: string; arguments: string } } | { answer: string };
const call = (name: string, args: Record<string, unknown>): Step => ({
  call: { name, arguments: JSON.stringify(args) },
});
const answer = (text: string): Step => ({ answer: text });

/** Page sizes the planner asks for (the route names only what the request says). */
const PAGING: Record<string, Record<string, unknown>> = {
  search_tickets: { limit: 25 },
  [ORG_TOOL]: { limit: 100 },
  get_organization_users: { limit: 100 },
};

/** At most this many organizations are searched for the one two members share (a turn has 15 calls). */
const MAX_MEMBER_SCAN = 12;
const MEMBER_TOOL = 'get_organization_users';

export function plan(
  question: string,
  principal: Principal,
  done: Done[],
  available: Set<string>,
  /** The person's answer to "which organization?", when this carries on an earlier question. */
  orgAnswer?: string,
): Step {
  const last = (name: string) => [...done].reverse().find((d) => d.name === name);
  // The organizations this person can see: the first, unfiltered list of this turn.
  const listed = done.find((d) => d.name === ORG_TOOL && Object.keys(d.args).every((k) => k === 'limit'));
  if (listed && !listed.outcome.ok)
    return answer(failed(listed.outcome, 'list the organizations you can see')!);
  const orgs = listed ? orgList(listed.outcome) : undefined;

  const r = route(question, principal, orgs, available, orgAnswer);
  if ('needsOrgs' in r) return call(ORG_TOOL, PAGING[ORG_TOOL]!);
  if ('reply' in r) return answer(r.reply);
  const { target, intent } = r;

  if (target.tool === 'compare_user_permissions' || target.tool === 'set_member_permissions') {
    return memberStep(target, r.org, orgs ?? [], done, question);
  }

  const result = target.tool === ORG_TOOL ? (listed ?? last(ORG_TOOL)) : last(target.tool);
  if (!result) return call(target.tool, { ...target.args, ...PAGING[target.tool] });
  const o = result.outcome;
  switch (target.tool) {
    case DOC_SEARCH_TOOL:
      return answer(renderDocs(o));
    case ORG_TOOL:
      return answer(renderOrgList(o));
    case 'get_ticket':
      return answer(renderTicket(String(target.args.number), o));
    case 'search_tickets':
      return answer(
        renderTickets(o, {
          mine: intent.kind === 'tickets' && intent.mine,
          ...(r.org ? { org: r.org } : {}),
          filters: intent.kind === 'tickets' ? intent.filters : {},
        }),
      );
    case 'ticket_stats':
      return answer(renderStats(o, r.org ? `Tickets of ${r.org.name}` : 'Tickets you can see'));
    case MEMBER_TOOL:
      return answer(renderUsers(r.org!, o));
    case 'get_organization':
      return answer(renderOrgStatus(o));
    case 'create_ticket':
      return answer(renderCreated(result, r.org!));
    default:
      return answer(renderTicketChange(result));
  }
}

/**
 * Comparing members or changing one's permissions: first the organization they belong to (named, the
 * person's own, or found by looking the first username up in each organization the person can see), and
 * for a change the member's current permissions; then the call itself.
 */
function memberStep(
  target: Target,
  named: Org | undefined,
  orgs: Org[],
  done: Done[],
  question: string,
): Step {
  const args = target.args;
  const username = String(
    target.tool === 'compare_user_permissions' ? (args.usernames as string[])[0] : args.username,
  );
  const lookups = done.filter((d) => d.name === MEMBER_TOOL && d.args.query === username);
  const memberIn = (d: Done) =>
    ((obj(d.outcome).members ?? []) as { username: string; permissions: string[] }[]).find(
      (m) => m.username === username,
    );
  const hit = lookups.find((d) => d.outcome.ok && memberIn(d));
  const lookup = (slug: string) => call(MEMBER_TOOL, { organization: slug, query: username, limit: 5 });

  let org = named;
  if (!org) {
    if (!hit) {
      if (orgs.length > MAX_MEMBER_SCAN)
        return answer(`${askWhichOrg(orgs, `in which organization ${username} is a member`)}`);
      const next = orgs.find((o) => !lookups.some((d) => d.args.organization === o.slug));
      if (next) return lookup(next.slug);
      return answer(`I found no member "${username}" in the organizations you can see.`);
    }
    org = orgs.find((o) => o.slug === hit.args.organization);
    if (!org) return answer(`I found no member "${username}" in the organizations you can see.`);
  }

  if (target.tool === 'compare_user_permissions') {
    const r = [...done].reverse().find((d) => d.name === target.tool);
    if (r) return answer(renderComparison(org, r.outcome));
    return call(target.tool, { organization: org.slug, usernames: args.usernames });
  }

  const r = [...done].reverse().find((d) => d.name === target.tool);
  if (r) return answer(renderPermissionChange(r, org));
  const found = lookups.find((d) => d.args.organization === org.slug);
  if (!found) return lookup(org.slug);
  const member = found.outcome.ok ? memberIn(found) : undefined;
  if (!member) {
    const err = failed(found.outcome, `look ${username} up in ${org.name}`);
    return answer(err ?? `I found no member "${username}" in ${org.name}.`);
  }
  const permissions = nextPermissions(member.permissions, args);
  if (sameSet(permissions, member.permissions)) {
    return answer(
      `**${username}** in **${org.name}** already has exactly ${member.permissions.join(', ') || 'no permissions'}; nothing to change.`,
    );
  }
  return call(target.tool, {
    organization: org.slug,
    username,
    permissions,
    reason: `Asked in basic mode: ${question.trim().slice(0, 450)}`,
  });
}

/** The member's new, complete set: an exact set as given, else the current one with grants and revokes. */
export function nextPermissions(current: string[], args: Record<string, unknown>): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
  const wanted = args.permissions
    ? new Set(list(args.permissions))
    : new Set([...current, ...list(args.grant)].filter((p) => !list(args.revoke).includes(p)));
  return MEMBER_PERMISSIONS.filter((p) => wanted.has(p));
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
