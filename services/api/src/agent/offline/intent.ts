/**
 * What a request asks for, read from its words alone: the kind of request, the ticket it names, the change,
 * the filters, the usernames and permissions. Which organization it names is read later, against the
 * organizations the person can see (orgs.ts).
 */
import type { Principal } from '@msi/kit';
import { MEMBER_PERMISSIONS } from '@msi/kit';
import { clip } from '../../clip.js';
import { carriedText, normalize, ticketNumber, usernames } from './words.js';

export interface TicketFilters {
  status?: string[];
  priority?: string[];
  assignee?: string;
  reporter?: string;
  text?: string;
}

export interface TicketChanges {
  status?: string;
  priority?: string;
  /** A username, or null to unassign. */
  assignee?: string | null;
}

export type Intent =
  | { kind: 'docs' }
  | { kind: 'ticket'; number: string }
  | { kind: 'update_ticket'; number: string; changes: TicketChanges }
  | { kind: 'comment'; number: string; body?: string; internal: boolean }
  | { kind: 'resolve'; number: string; resolution?: string }
  /** An action on a ticket that lacks what it needs (which priority, who to assign). */
  | { kind: 'unclear_change'; number: string; missing: string }
  /** A change to a ticket that names none ("close it"). */
  | { kind: 'which_ticket'; verb: string }
  | { kind: 'create_ticket' }
  | { kind: 'tickets'; mine: boolean; counting: boolean; filters: TicketFilters }
  | { kind: 'ticket_stats' }
  | { kind: 'org_users'; strong: boolean }
  | { kind: 'org_status'; strong: boolean }
  | { kind: 'list_orgs'; status?: string; region?: string }
  | { kind: 'compare_permissions'; usernames: string[] }
  | { kind: 'set_permissions'; username?: string; grant: string[]; revoke: string[]; exact?: string[] };

/** Questions about how the product works: documentation, whatever words they contain. */
const HOW_TO =
  /^\s*(?:(?:please|hi|hey|ok|so)[, ]+)?(?:how (?:do|can|should|would|could|does|did|to|long|often|much)\b|is (?:it|there) (?:possible|a way)|what (?:does|do)\b.*\bmean\b|what happens\b|why (?:does|do|would|can't|cannot|won't|doesn't|isn't|is|are)\b|where (?:do|can|is|are|does)\b|when (?:should|do|does|will|is|are|can)\b|how (?:fast|quickly|soon)\b|what(?:'s| is) the (?:difference|process|procedure|policy|best way|recommended|maximum|minimum|default|limit|sla|response time|target|rule)\b|(?:can|could|should|do|does|will|must) (?:i|we|officers?|users?|admins?|a user|an officer|an admin|the|our|my|it|they|prosecutors?|supervisors?|cameras?)\b(?! (?:have|see|get|list|show)\b))/;

const STATUS_WORDS: [RegExp, string[]][] = [
  [/\b(waiting (on|for) (the )?customer|on hold|waiting)\b/, ['waiting_on_customer']],
  [/\bin[- ]progress\b|\bbeing worked on\b/, ['in_progress']],
  [/\bresolved\b/, ['resolved']],
  [/\bclosed\b/, ['closed']],
  [
    /\b(open|active|unresolved|pending|outstanding|not resolved)\b/,
    ['open', 'in_progress', 'waiting_on_customer'],
  ],
];

export function statusFilter(t: string): string[] | undefined {
  return STATUS_WORDS.find(([re]) => re.test(t))?.[1];
}

const PRIORITY_WORDS: [RegExp, string][] = [
  [/\b(urgent|critical|p1|sev ?1|emergency)\b/, 'urgent'],
  [/\b(high|p2)\b/, 'high'],
  [/\b(normal|medium|p3)\b/, 'normal'],
  [/\b(low|p4|minor)\b/, 'low'],
];

export function priorityFilter(t: string): string[] | undefined {
  // "how high", "low battery", "normal mode" are not priorities: a priority word stands before "priority",
  // "tickets" or after "priority".
  const found = PRIORITY_WORDS.filter(([re, p]) => {
    if (p === 'urgent') return re.test(t);
    const w = re.source.replace(/^\\b\(|\)\\b$/g, '');
    return new RegExp(
      `\\b(${w})[- ]?(priority|prio|pri)\\b|\\bpriority:? (is |of )?(${w})\\b|\\b(${w}) (open |unresolved |resolved |closed )?(tickets?|cases?|issues?)\\b|\\b(${w})[- ]priority\\b`,
    ).test(t);
  }).map(([, p]) => p);
  return found.length ? found : undefined;
}

/** The priority a change sets ("to high", "make it urgent", "lower to low"). */
function priorityChange(t: string): string | undefined {
  for (const [re, p] of PRIORITY_WORDS) {
    const w = re.source.replace(/^\\b\(|\)\\b$/g, '');
    if (
      new RegExp(
        `\\b(to|as|it|is|now|be|make|mark|set|an?)\\s+(${w})\\b|\\b(${w})\\s+priority\\b|priority\\s+(to\\s+)?(${w})\\b`,
      ).test(t)
    )
      return p;
  }
  return undefined;
}

function statusChange(t: string): string | undefined {
  if (/\breopen\b|\bre-open\b|\b(back to|as|to) open\b|\bmark (it |this )?open\b/.test(t)) return 'open';
  if (/\b(close|closed)\b/.test(t)) return 'closed';
  if (/\bin[- ]progress\b|\b(start|begin)(ed)? (working|work)\b|\bworking on it\b/.test(t))
    return 'in_progress';
  if (/\b(waiting (on|for)( the)? customer|on hold|pending customer|waiting)\b/.test(t))
    return 'waiting_on_customer';
  if (/\b(to|as) open\b/.test(t)) return 'open';
  return undefined;
}

function permissionsIn(t: string): string[] {
  const found: { p: string; at: number }[] = [];
  for (const p of [...MEMBER_PERMISSIONS].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`\\b${p.split('_').join('[ _-]+')}s?\\b`, 'g');
    for (const m of t.matchAll(re)) {
      if (!found.some((f) => m.index >= f.at && m.index < f.at + f.p.length)) found.push({ p, at: m.index });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.p);
}

/** The assignee a request names: "to riley_agent", "to me", "unassign". */
function assigneeIn(t: string, me: string): string | null | undefined {
  if (/\bunassign|\b(remove|clear) (the )?assignee\b|\bto (nobody|no one|noone)\b/.test(t)) return null;
  const to = /\b(?:to|over to|for)\s+(me|myself|[a-z][a-z0-9._-]*)\b/.exec(
    t.replace(/\btck[- ]?\d+|ticket\s*#?\d+|#\d+/g, ''),
  );
  if (to && /^(me|myself)$/.test(to[1]!)) return me;
  const named = usernames(t)[0];
  if (named) return named;
  if (/\b(take|grab|pick up|claim|i'll handle|i will handle|assign (it )?to myself)\b/.test(t)) return me;
  if (
    to &&
    !/^(the|a|an|this|that|it|him|her|them|someone|somebody|another|high|urgent|low|normal)$/.test(to[1]!)
  )
    return to[1]!;
  return undefined;
}

export function readIntent(text: string, principal: Principal): Intent {
  const t = normalize(text);
  const number = ticketNumber(text);
  const me = principal.username;

  const perms = permissionsIn(t);
  const names = usernames(text).filter((u) => !(MEMBER_PERMISSIONS as readonly string[]).includes(u));
  const aboutPermissions = /\bpermission|\baccess\b|\brights\b|\bprivileges?\b/.test(t) || perms.length > 0;
  const comparing = /\b(compar|differ|vs\.?|versus|between|side by side|same (permissions|access))/.test(t);
  // Two members named: a comparison, even when phrased as a question ("what's the difference between …").
  if (aboutPermissions && comparing && (names.length >= 2 || !HOW_TO.test(t))) {
    const list = [...names];
    if (/\b(me|my|mine|i)\b/.test(t) && !list.includes(me)) list.unshift(me);
    return { kind: 'compare_permissions', usernames: list };
  }

  if (HOW_TO.test(t) && !/^\s*how (many|much)\b/.test(t) && !number) return { kind: 'docs' };

  // Member permissions: a change (admin).
  if (aboutPermissions) {
    const grant = /\b(grant|give|add|allow|enable)\b/.test(t);
    const revoke = /\b(revoke|remove|take away|withdraw|disable|drop|strip)\b/.test(t);
    const exact = /\b(set|change|replace)\b.*\bpermissions?\b.*\b(to|as)\b/.test(t) || /\bonly\b/.test(t);
    if (perms.length && (grant || revoke || exact) && !number) {
      const username = names[0];
      if (exact && !grant && !revoke)
        return { kind: 'set_permissions', username, grant: [], revoke: [], exact: perms };
      const cut = /\bbut\b|\band (remove|revoke|take)\b/.exec(t)?.index ?? t.length;
      const before = permissionsIn(t.slice(0, cut));
      const after = permissionsIn(t.slice(cut));
      return grant && revoke
        ? /\b(revoke|remove|take away|withdraw|disable|drop|strip)\b/.exec(t)!.index <
          /\b(grant|give|add|allow|enable)\b/.exec(t)!.index
          ? { kind: 'set_permissions', username, grant: after, revoke: before }
          : { kind: 'set_permissions', username, grant: before, revoke: after }
        : { kind: 'set_permissions', username, grant: grant ? perms : [], revoke: grant ? [] : perms };
    }
  }

  if (number) {
    // "give TCK 1201 to riley" reads as "give it to riley".
    const it = t
      .replace(
        /\b(?:tck|tkt|tk|ticket|case)\s*(?:number|no\.?|nr\.?)?\s*[-#:]?\s*#?\s*\d{3,9}\b|(?:^|\s)#\d{3,9}\b/g,
        ' it',
      )
      .replace(/\s+/g, ' ')
      .trim();
    return ticketIntent(text, it, number, me);
  }

  const verb =
    /^\s*(?:please\s+)?(close|reopen|resolve|assign|reassign|unassign|escalate|comment on|reply to)\s+(it|this|that|the ticket|this ticket|that ticket|the case)?\s*[.!]?\s*$/.exec(
      t,
    );
  if (verb) return { kind: 'which_ticket', verb: verb[1]! };

  if (
    /\b(create|open|file|raise|submit|log|start|put in|make|report|need|want)\b[^.?!]*\b(a|an|new|one)\s+([a-z-]+\s+){0,2}(ticket|case|issue|incident|support request|request)\b(?!s)/.test(
      t,
    ) ||
    /\bnew (support )?(ticket|case)\b(?!s)/.test(t) ||
    /^\s*(create|open|file|raise|log)\s+(ticket|case)\b/.test(t)
  ) {
    if (!/\b(my|our)\b[^.?!]*\btickets\b/.test(t)) return { kind: 'create_ticket' };
  }

  // Tickets in the plural, a queue, or ticket figures; "a high priority ticket" is a policy question.
  const aboutTickets =
    /\b(tickets|cases|queue|backlog|workload)\b/.test(t) ||
    /\bticket (stats|statistics|count|counts|summary|overview|numbers|metrics|breakdown)\b/.test(t) ||
    /\bassigned to (me|[a-z]+_[a-z]+)\b|\bunassigned\b/.test(t);
  if (aboutTickets) {
    const filters = ticketFilters(text, t, me);
    const mine =
      /\b(my|mine|i have|do i have|assigned to me|i reported|i opened|i raised|i filed|on my plate)\b/.test(
        t.replace(
          /\b(my|our)\s+(own\s+)?(agency|organi[sz]ation|org|department|dept|company|team|office|station)\b/g,
          '',
        ),
      ) ||
      filters.assignee === me ||
      filters.reporter === me;
    if (mine) {
      delete filters.assignee;
      delete filters.reporter;
    }
    const counting =
      /\b(how many|count|number of|total|stats|statistics|summary|overview|breakdown|metrics)\b/.test(t);
    const filtered = Object.keys(filters).length > 0;
    if (counting && !filtered && !mine) return { kind: 'ticket_stats' };
    return { kind: 'tickets', mine, counting, filters };
  }

  if (
    /\b(list|show|which|what|all|any|see|display|give me|name)\b[^.?!]*\b(organi[sz]ations|orgs|agencies|customers)\b/.test(
      t,
    ) ||
    /^\s*(organi[sz]ations|orgs|agencies|customers)\b/.test(t)
  ) {
    const status = /\b(down|outage|offline)\b/.test(t)
      ? 'down'
      : /\b(degraded|having (issues|problems)|impaired)\b/.test(t)
        ? 'degraded'
        : /\b(live|up|healthy|operational|fine)\b/.test(t)
          ? 'live'
          : undefined;
    const region = /\b(us|ca)-[a-z]+\b/.exec(t)?.[0];
    return {
      kind: 'list_orgs',
      ...(status ? { status } : {}),
      ...(region
        ? {
            region: region.replace(
              /^(us|ca)-(\w)/,
              (_, a: string, b: string) => `${a.toUpperCase()}-${b.toUpperCase()}`,
            ),
          }
        : {}),
    };
  }

  const usersWord = /\b(users|members|people|staff|employees|personnel|user list|roster|team members)\b/;
  if (usersWord.test(t) || /\bwho(?: works|'s| is| are) (at|in|with|on)\b/.test(t)) {
    const strong =
      /\b(users|members|people|staff|employees|personnel)\s+(of|at|in|for|from)\s+(?!it\b|them\b|this\b|that\b|a\b|an\b|the (group|role|system|camera|list|file|csv|realm|incident)\b)/.test(
        t,
      ) ||
      /\bwho(?: works|'s| is| are) (at|in|with|on)\b/.test(t) ||
      /^\s*(please\s+)?(list|show|get|display|give me|who are)\b/.test(t) ||
      /\bhow many (users|members|people|staff) (does|do|are|work|in|at)\b/.test(t);
    return { kind: 'org_users', strong };
  }

  if (
    /\b(status|health|healthy|down|degraded|outage|outages|up and running|deployments?|versions?|firmware|running|doing|ok|okay)\b/.test(
      t,
    )
  ) {
    const strong =
      /\b(status|health|state|deployments?)\s+(of|for|at)\b/.test(t) ||
      /^\s*(is|are)\b.*\b(down|up|degraded|ok|okay|healthy|having)\b/.test(t) ||
      /\bhow is\b.*\bdoing\b/.test(t) ||
      /\b(org|organi[sz]ation|agency) status\b/.test(t) ||
      /\bstatus\s*\??\s*$/.test(t);
    return { kind: 'org_status', strong };
  }
  return { kind: 'docs' };
}

function ticketIntent(text: string, t: string, number: string, me: string): Intent {
  const asking = /^\s*(is|was|has|have|did|does|what|what's|whats|why|when|who|which|where|how)\b/.test(t);
  const polite = /\b(please|can you|could you|would you|go ahead|i want to|i'd like to|let's|lets)\b/.test(t);
  const act = !asking || polite;
  if (
    act &&
    /\b(comment|reply|respond|note|post|write|tell the customer|let the customer know|update the customer|message)\b/.test(
      t,
    )
  ) {
    const internal =
      /\b(internal|internally|private|privately|staff[- ]only|not visible to (the )?customer)\b/.test(t);
    const body = carriedText(
      text.replace(/\b(?:tck|tkt|ticket|case)\s*[-#:]?\s*#?\s*\d{3,9}\b/i, ''),
      /\b(?:saying|says|that says|that|with|reading)\b\s+/i,
    );
    return { kind: 'comment', number, ...(body ? { body: clip(body, 10_000) } : {}), internal };
  }
  if (act && /\b(resolve|resolved|solve|solved|fixed|fix it)\b/.test(t) && !/\bunresolved\b/.test(t)) {
    const resolution = carriedText(
      text.replace(/\b(?:tck|tkt|ticket|case)\s*[-#:]?\s*#?\s*\d{3,9}\b/i, ''),
      /\b(?:with|resolution|because|by|as)\b\s+(?!resolved\b|fixed\b|solved\b)/i,
    );
    return { kind: 'resolve', number, ...(resolution ? { resolution: clip(resolution, 5000) } : {}) };
  }
  const changes: TicketChanges = {};
  const assigning =
    /\b(assign|reassign|unassign|hand (it )?(over )?to|give (it )?to|transfer|route|take|grab|pick up|claim)\b/.test(
      t,
    );
  if (act && assigning) {
    const who = assigneeIn(t, me);
    if (who === undefined) return { kind: 'unclear_change', number, missing: 'assignee' };
    changes.assignee = who;
  }
  const priorityWords =
    /\b(priority|prio|escalate|de-?escalate|deprioriti[sz]e|bump|raise|lower|urgent|critical)\b/.test(t);
  if (act && priorityWords) {
    const p = priorityChange(t) ?? (/\bde-?prioriti[sz]e\b/.test(t) ? 'low' : undefined);
    if (p) changes.priority = p;
    else if (!assigning) return { kind: 'unclear_change', number, missing: 'priority' };
  }
  if (
    act &&
    /\b(status|close|closed|reopen|re-open|mark|move|set|put|change|in progress|waiting|on hold|start working)\b/.test(
      t,
    )
  ) {
    const s = statusChange(t.replace(/\bpriority (to )?\w+|\w+ priority\b/g, ''));
    if (s) changes.status = s;
  }
  if (Object.keys(changes).length) return { kind: 'update_ticket', number, changes };
  return { kind: 'ticket', number };
}

function ticketFilters(text: string, t: string, me: string): TicketFilters {
  const f: TicketFilters = {};
  const status = statusFilter(t.replace(/\bopen (a|an|new)\b/g, ''));
  if (status) f.status = status;
  const priority = priorityFilter(t);
  if (priority) f.priority = priority;
  if (/\b(unassigned|not assigned|no assignee|without (an )?assignee|nobody assigned)\b/.test(t))
    f.assignee = 'none';
  else {
    const a = /\bassigned to (me|myself|[a-z][a-z0-9._-]*)\b/.exec(t)?.[1];
    if (a) f.assignee = a === 'me' || a === 'myself' ? me : a;
  }
  const r =
    /\b(?:reported|opened|raised|filed|created|submitted|logged) by (me|myself|[a-z][a-z0-9._-]*)\b/.exec(
      t,
    )?.[1] ??
    /\b(?:did|has|have)\s+([a-z][a-z0-9]*[._][a-z0-9._]+)\s+(?:report|open|file|raise|submit|log)/.exec(
      t,
    )?.[1];
  if (r) f.reporter = r === 'me' || r === 'myself' ? me : r;
  const about =
    /\b(?:about|mentioning|regarding|related to|concerning|containing|that mention|with the words?|for the)\s+(.+)$/i.exec(
      text,
    );
  if (about) {
    const words = about[1]!
      .split(/\s+(?:for|in|at|from|of|that|which|assigned|reported|opened)\s+/i)[0]!
      .replace(/[?.!"“”]+/g, '')
      .trim();
    if (words && !/^(me|my|them|it|this|that)$/i.test(words)) f.text = clip(words, 200);
  }
  return f;
}

/** The fields of a new ticket: its title, description, priority and product from the request's words. */
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
  const priority = /\b(urgent|critical)\b/.test(t)
    ? 'urgent'
    : /\bhigh\b/.test(t)
      ? 'high'
      : /\blow\b/.test(t)
        ? 'low'
        : undefined;
  // A model name says the product before any generic word ("the V700 won't dock" is the camera).
  const product = /\bds-?8\b/.test(t)
    ? 'docking_station'
    : /\bv700\b/.test(t)
      ? 'body_camera'
      : /\bm500\b/.test(t)
        ? 'in_car_video'
        : /\bdock/.test(t)
          ? 'docking_station'
          : /\bbody[- ]?cam/.test(t)
            ? 'body_camera'
            : /\bin-?car\b/.test(t)
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
