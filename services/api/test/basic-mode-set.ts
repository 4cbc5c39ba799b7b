/**
 * The labelled basic-mode requests (fixtures/basic-mode-requests.json) scored against the offline router:
 * each request as the named demo person sends it, with the organizations that person can see (what the
 * organizations server's list answers them). Shared by the unit test and bench/basic-mode.bench.ts.
 *
 * A request is right when the router picks the expected tool with exactly the expected arguments (the
 * paging the planner adds is not part of them; a new ticket's description, derived from the whole text, is
 * not compared), or, when `reply` is given instead of a tool, answers with that kind of reply
 * (ask_org, ask, not_found, cannot) and calls nothing. Documentation requests are right by tool alone.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Principal } from '@msi/kit';
import { DEMO_ORGANIZATIONS, DEMO_USERS } from '@msi/kit/demo';
import { desktopPrincipal } from '../../../test/support/principal.js';
import { BASIC_MODE_TOOLS } from '../src/agent/offline/index.js';
import { route, type Route } from '../src/agent/offline/route.js';
import type { Org } from '../src/agent/offline/orgs.js';

export interface Labelled {
  text: string;
  user: string;
  tool?: string;
  args?: Record<string, unknown>;
  reply?: string;
}

export const loadSet = (file: string): Labelled[] =>
  JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Labelled[];

export function principalOf(username: string): Principal {
  const u = DEMO_USERS.find((x) => x.username === username);
  if (!u) throw new Error(`no demo user ${username}`);
  return desktopPrincipal(u.username, [u.role], u.organizations, { name: u.name });
}

/** What list_organizations answers this person: every organization for supervisors and admins, else those
 *  of their claim. */
export function visibleOrgs(p: Principal): Org[] {
  const all = p.roles.some((r) => r === 'supervisor' || r === 'admin');
  return DEMO_ORGANIZATIONS.filter((o) => all || p.organizations.includes(o.slug)).map((o) => ({
    slug: o.slug,
    name: o.name,
    legacyName: o.legacyName ?? null,
    type: o.type,
  }));
}

/** Every tool basic mode may route to: the offline provider's own list. */
export { BASIC_MODE_TOOLS };

/** The tools each role is listed (set_member_permissions only for administrators). */
export function toolsOf(p: Principal): Set<string> {
  const admin = p.roles.includes('admin');
  return new Set(BASIC_MODE_TOOLS.filter((t) => admin || t !== 'set_member_permissions'));
}

/** The router's final decision for a request (loading the organizations list when it asks for it). */
export function routeOne(item: Pick<Labelled, 'text' | 'user'>): Route {
  const p = principalOf(item.user);
  const first = route(item.text, p, undefined, toolsOf(p));
  return 'needsOrgs' in first ? route(item.text, p, visibleOrgs(p), toolsOf(p)) : first;
}

export function isRight(item: Labelled, r: Route): boolean {
  if (item.reply) return 'reply' in r && r.kind === item.reply;
  if (!('target' in r) || r.target.tool !== item.tool) return false;
  if (item.tool === 'search_documentation') return true;
  const got = { ...r.target.args };
  if (item.tool === 'create_ticket') delete got.description;
  return isDeepStrictEqual(got, item.args ?? {});
}

export function score(items: Labelled[]): {
  right: number;
  total: number;
  wrong: { item: Labelled; got: unknown }[];
} {
  const wrong: { item: Labelled; got: unknown }[] = [];
  for (const item of items) {
    const r = routeOne(item);
    if (!isRight(item, r))
      wrong.push({
        item,
        got: 'target' in r ? r.target : 'reply' in r ? { reply: r.kind, text: r.reply } : r,
      });
  }
  return { right: items.length - wrong.length, total: items.length, wrong };
}
