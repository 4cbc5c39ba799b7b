/**
 * The offline provider's state machine: from the request's intent and the tool calls made for it so far,
 * the next tool call or the answer. It keeps no state of its own.
 */
import type { Principal } from '@msi/kit';
import type { ToolResult } from '../../tools.js';
import { DOC_SEARCH_TOOL } from '../../tools.js';
import type { ApprovalOutcome } from '../approvals.js';
import {
  detectIntent,
  matchOrganization,
  namedOrganization,
  priorityFilter,
  statusFilter,
  ticketFields,
} from './intent.js';
import {
  OFFLINE_NOTE,
  askWhichOrg,
  orgList,
  renderComparison,
  renderCreated,
  renderDocs,
  renderOrgList,
  renderOrgStatus,
  renderStats,
  renderTicket,
  renderTickets,
  renderUsers,
} from './render.js';

export interface Done {
  name: string;
  args: Record<string, unknown>;
  outcome: ToolResult;
  /** For a call that changes data: how the person's approval was settled. */
  approval?: ApprovalOutcome;
}

export const ORG_TOOL = 'list_organizations';

export type Step = { call: { name: string; arguments: string } } | { answer: string };
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
      if (r) return { answer: renderCreated(r, target) };
      return call('create_ticket', { org: target.slug, ...ticketFields(question) });
    }
  }
}
