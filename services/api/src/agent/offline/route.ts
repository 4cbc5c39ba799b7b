/**
 * From a request to the tool that answers it, with its arguments: a pure function of the words, the person
 * and the organizations they can see (the organizations server's list, once loaded). The planner calls
 * the tool this names; the basic-mode benchmark measures it against a labelled set of requests.
 */
import type { Principal } from '@msi/kit';
import { DOC_SEARCH_TOOL } from '../../tools.js';
import { readIntent, ticketFields, type Intent } from './intent.js';
import { matchOrganization, namedOrganization, ownOrganizationNamed, type Org } from './orgs.js';
import { normalize } from './words.js';

export const ORG_TOOL = 'list_organizations';

export interface Target {
  tool: string;
  args: Record<string, unknown>;
}

/** Why no tool is called: which organization (`ask_org`), a missing part of the request (`ask`), an
 *  organization that does not exist for this person (`not_found`), or a right they lack (`cannot`). */
export type ReplyKind = 'ask_org' | 'ask' | 'not_found' | 'cannot';

export type Route =
  /** The organizations this person can see are needed first. */
  | { needsOrgs: true }
  | { target: Target; intent: Intent; org?: Org }
  | { reply: string; kind: ReplyKind; intent: Intent };

export const ASK_ORG = 'Please say ';

/** Intents that read or change something of one organization (or all the person can see). */
const ORG_SCOPED = new Set<Intent['kind']>([
  'tickets',
  'ticket_stats',
  'org_users',
  'org_status',
  'compare_permissions',
  'set_permissions',
  'create_ticket',
]);

/**
 * The tool and arguments for `question`. `orgs` is the list of organizations the person can see (undefined:
 * not loaded yet); `orgAnswer` is their reply to "which organization?" when this carries an earlier request
 * on. `available` is the person's tool list (a tool they lack is a `cannot` reply).
 */
export function route(
  question: string,
  principal: Principal,
  orgs: Org[] | undefined,
  available?: Set<string>,
  orgAnswer?: string,
): Route {
  const intent = readIntent(question, principal);
  const has = (tool: string) => !available || available.has(tool);
  const go = (tool: string, args: Record<string, unknown>, org?: Org): Route =>
    has(tool)
      ? { target: { tool, args }, intent, ...(org ? { org } : {}) }
      : { reply: cannot(tool), kind: 'cannot', intent };

  switch (intent.kind) {
    case 'docs':
      return go(DOC_SEARCH_TOOL, { query: question.trim().slice(0, 500) });
    case 'ticket':
      return go('get_ticket', { number: intent.number });
    case 'update_ticket':
      return go('update_ticket', { number: intent.number, ...intent.changes });
    case 'unclear_change':
      return {
        reply:
          intent.missing === 'assignee'
            ? `Say who should get ${intent.number}, by username — for example *assign ${intent.number} to riley_agent*, or *assign ${intent.number} to me*.`
            : `Say which priority ${intent.number} should have: low, normal, high or urgent — for example *set ${intent.number} priority to high*.`,
        kind: 'ask',
        intent,
      };
    case 'which_ticket':
      return {
        reply: `Which ticket? Name it by number, for example *${intent.verb} TCK-1042*.`,
        kind: 'ask',
        intent,
      };
    case 'comment':
      if (!intent.body)
        return {
          reply: `Write the comment after a colon, for example *comment on ${intent.number}: the replacement dock ships today*${intent.internal ? '' : ' (say *internal* for a note only staff see)'}.`,
          kind: 'ask',
          intent,
        };
      return go('add_comment', { number: intent.number, body: intent.body, internal: intent.internal });
    case 'resolve':
      if (!intent.resolution)
        return {
          reply: `Say how ${intent.number} was resolved, after a colon — for example *resolve ${intent.number}: replaced the dock's power supply*.`,
          kind: 'ask',
          intent,
        };
      return go('resolve_ticket', { number: intent.number, resolution: intent.resolution });
    case 'list_orgs': {
      const { kind: _kind, ...filters } = intent;
      return go(ORG_TOOL, filters);
    }
    case 'tickets':
      if (intent.mine) {
        const mine = principal.roles.includes('customer')
          ? { reporter: principal.username }
          : { assignee: principal.username };
        return go('search_tickets', { ...mine, ...intent.filters });
      }
  }

  if (!ORG_SCOPED.has(intent.kind)) return go(DOC_SEARCH_TOOL, { query: question.trim().slice(0, 500) });
  if (!orgs) return { needsOrgs: true };

  const t = normalize(question);
  const own =
    principal.organizations.length === 1
      ? orgs.find((o) => o.slug === principal.organizations[0])
      : undefined;
  const mentioned =
    matchOrganization(orgAnswer ?? question, orgs) ?? (ownOrganizationNamed(t) ? own : undefined);
  const named = orgAnswer?.trim() || namedOrganization(question.split(':')[0]!);
  // An organization named but not among those visible does not exist for this person.
  const notFound = (): Route => ({
    reply: `I found no organization "${named}" among those you can see.`,
    kind: 'not_found',
    intent,
  });
  const only = orgs.length === 1 ? orgs[0] : undefined;
  const org = mentioned ?? only;
  const ask = (what: string): Route => ({ reply: askWhichOrg(orgs, what), kind: 'ask_org', intent });

  switch (intent.kind) {
    case 'tickets':
      if (!mentioned && named) return notFound();
      return go(
        'search_tickets',
        { ...(mentioned ? { org: mentioned.slug } : {}), ...intent.filters },
        mentioned,
      );
    case 'ticket_stats':
      if (!mentioned && named) return notFound();
      return go('ticket_stats', mentioned ? { org: mentioned.slug } : {}, mentioned);
    case 'org_users':
      // "How do I add a user", "the users CSV": users in the documentation's sense.
      if (!mentioned && !intent.strong) return go(DOC_SEARCH_TOOL, { query: question.trim().slice(0, 500) });
      if (!mentioned && named) return notFound();
      if (!org) return ask('whose users to list');
      return go('get_organization_users', { organization: org.slug }, org);
    case 'org_status':
      // "What firmware version supports …": versions in the documentation's sense.
      if (!mentioned && !intent.strong) return go(DOC_SEARCH_TOOL, { query: question.trim().slice(0, 500) });
      if (!mentioned && named) return notFound();
      if (!org) return ask('whose status to show');
      return go('get_organization', { organization: org.slug }, org);
    case 'compare_permissions': {
      if (intent.usernames.length < 2)
        return {
          reply:
            'Name at least two usernames to compare, for example: *compare permissions of james_smith and maria_garcia in Dallas Police*.',
          kind: 'ask',
          intent,
        };
      if (!mentioned && named) return notFound();
      const where = mentioned ?? own ?? only;
      // No organization named: the planner looks for the one both belong to.
      return go(
        'compare_user_permissions',
        {
          ...(where ? { organization: where.slug } : {}),
          usernames: intent.usernames.slice(0, 20),
        },
        where,
      );
    }
    case 'set_permissions': {
      if (!intent.username)
        return {
          reply:
            'Name the member by username, for example: *give james_smith share_evidence in Dallas Police*.',
          kind: 'ask',
          intent,
        };
      if (!mentioned && named) return notFound();
      const where = mentioned ?? own ?? only;
      return go(
        'set_member_permissions',
        {
          ...(where ? { organization: where.slug } : {}),
          username: intent.username,
          ...(intent.exact ? { permissions: intent.exact } : {}),
          ...(intent.grant.length ? { grant: intent.grant } : {}),
          ...(intent.revoke.length ? { revoke: intent.revoke } : {}),
        },
        where,
      );
    }
    case 'create_ticket': {
      if (!has('create_ticket')) return { reply: cannot('create_ticket'), kind: 'cannot', intent };
      const target = mentioned ?? own ?? only;
      if (!target) return ask('which organization the ticket is for');
      return go('create_ticket', { org: target.slug, ...ticketFields(question) }, target);
    }
  }
  return go(DOC_SEARCH_TOOL, { query: question.trim().slice(0, 500) });
}

function cannot(tool: string): string {
  return tool === 'set_member_permissions'
    ? 'Only administrators change member permissions: ask an administrator to make this change.'
    : `You cannot use ${tool.replace(/_/g, ' ')} with your current rights.`;
}

export function askWhichOrg(visible: Org[], what: string): string {
  if (!visible.length) return 'You cannot see any organization.';
  return `${ASK_ORG}${what}. You can see: ${visible.map((o) => `${o.name} (\`${o.slug}\`)`).join(', ')}.`;
}
