/**
 * GET /api/home: the signed-in person's start page, read through the MCP servers with their own token
 * (nothing here widens what they may see). An agent's queue (their unresolved tickets, SLA at risk
 * first); a supervisor's unassigned urgent tickets and today's SLA breaches; a customer's own tickets and
 * their organizations' status; and suggestions that only name what this person can see.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { Principal } from '@msi/kit';
import { may } from '@msi/contracts/roles';
import {
  API_ROUTES,
  type Home,
  type HomeOrganization,
  type HomeTicket,
  type HomeTicketList,
  type McpServerName,
  type Role,
} from './contract.js';
import { bearerToken } from './auth.js';
import type { McpGateway, McpSession } from './mcp-clients.js';

const UNRESOLVED = ['open', 'in_progress', 'waiting_on_customer'];
const ROLE_ORDER: Role[] = ['admin', 'supervisor', 'agent', 'customer'];
/** Rows each list shows (its total says how many there are). */
export const HOME_ROWS = 8;
/** The ticketing server's page size; today's breaches read at most this many pages of unresolved tickets. */
const PAGE = 100;
const MAX_PAGES = 5;

interface TicketPage {
  total: number;
  tickets: (HomeTicket & Record<string, unknown>)[];
}

class Unavailable extends Error {
  constructor(
    readonly server: McpServerName,
    message: string,
  ) {
    super(message);
  }
}

function row(t: HomeTicket): HomeTicket {
  return {
    number: t.number,
    title: t.title,
    status: t.status,
    priority: t.priority,
    organization: t.organization,
    organizationName: t.organizationName,
    assignee: t.assignee,
    updatedAt: t.updatedAt,
    slaDueAt: t.slaDueAt,
    slaBreached: t.slaBreached,
  };
}

/** Overdue first (longest overdue on top), then the ones due soonest. */
export function byRisk(a: HomeTicket, b: HomeTicket): number {
  return a.slaDueAt.localeCompare(b.slaDueAt) || a.number.localeCompare(b.number);
}

function list(tickets: HomeTicket[], total = tickets.length): HomeTicketList {
  return { total, tickets: tickets.slice(0, HOME_ROWS).map(row) };
}

/** The start of "today" the caller means (`?dayStart=` ISO time, their local midnight), else UTC midnight. */
function parseDayStart(value: unknown, now: Date): Date | string {
  if (value === undefined) return new Date(now.toISOString().slice(0, 10) + 'T00:00:00Z');
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))
    return 'dayStart must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00+01:00';
  const start = new Date(value);
  if (Math.abs(now.getTime() - start.getTime()) > 36 * 3600_000)
    return 'dayStart must be within 36 hours of now';
  return start;
}

export function registerHomeRoutes(
  app: FastifyInstance,
  opts: { preHandler: preHandlerHookHandler[]; mcp: McpGateway },
): void {
  app.get<{ Querystring: { dayStart?: string } }>(
    API_ROUTES.home,
    { preHandler: opts.preHandler },
    async (req, reply) => {
      const now = new Date();
      const dayStart = parseDayStart(req.query.dayStart, now);
      if (typeof dayStart === 'string')
        return reply.status(400).send({ error: 'invalid_request', message: dayStart });
      const principal = req.principal!;
      const session = opts.mcp.session(principal, bearerToken(req));
      try {
        return await home(session, principal, now, dayStart);
      } finally {
        await session.close();
      }
    },
  );
}

async function home(session: McpSession, p: Principal, now: Date, dayStart: Date): Promise<Home> {
  const unavailable = new Map<McpServerName, string>();
  const call = async <T>(server: McpServerName, tool: string, args: Record<string, unknown>): Promise<T> => {
    const out = await session.call(server, tool, args);
    if (!out.ok) throw new Unavailable(server, out.error ?? `${tool} failed`);
    return out.result as T;
  };
  /** A part whose server did not answer is left out, and `unavailable` names the server. */
  const part = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      if (!unavailable.has(err.server)) unavailable.set(err.server, err.message);
      return undefined;
    }
  };
  const search = (args: Record<string, unknown>) => call<TicketPage>('ticketing', 'search_tickets', args);

  const role = ROLE_ORDER.find((r) => p.roles.includes(r)) ?? null;
  const staff = may(p.roles, 'workTickets');
  const seesAll = may(p.roles, 'seeAllOrganizations');
  const out: Home = { role, suggestions: [], unavailable: [] };

  const parts: Promise<unknown>[] = [];
  if (staff) {
    parts.push(
      part(async () => {
        const r = await search({ assignee: 'me', status: UNRESOLVED, sort: 'updated', limit: PAGE });
        out.queue = list([...r.tickets].sort(byRisk), r.total);
      }),
    );
  }
  if (seesAll) {
    parts.push(
      part(async () => {
        const r = await search({ assignee: 'none', priority: 'urgent', status: UNRESOLVED, limit: PAGE });
        out.unassignedUrgent = list([...r.tickets].sort(byRisk), r.total);
      }),
      part(async () => {
        // Unresolved tickets whose SLA came due today and has passed: the ticketing server has no
        // filter by due time, so read the unresolved ones (a few pages at most) and pick them here.
        const from = dayStart.toISOString();
        const to = now.toISOString();
        const breached: HomeTicket[] = [];
        for (let page = 0; page < MAX_PAGES; page++) {
          const r = await search({ status: UNRESOLVED, sort: 'created', limit: PAGE, offset: page * PAGE });
          breached.push(...r.tickets.filter((t) => t.slaDueAt >= from && t.slaDueAt <= to));
          if ((page + 1) * PAGE >= r.total) break;
        }
        out.breachesToday = list(breached.sort(byRisk).reverse());
      }),
    );
  }
  if (!staff) {
    parts.push(
      part(async () => {
        const r = await search({ reporter: 'me', sort: 'updated', limit: PAGE });
        // Still being worked on first, then the newest.
        const open = r.tickets.filter((t) => UNRESOLVED.includes(t.status));
        const done = r.tickets.filter((t) => !UNRESOLVED.includes(t.status));
        out.myTickets = list([...open, ...done], r.total);
      }),
      part(async () => {
        const orgs = await Promise.all(
          p.organizations.map((slug) =>
            call<HomeOrganization & { deployments: HomeOrganization['deployments'] }>(
              'organizations',
              'get_organization',
              { organization: slug },
            ),
          ),
        );
        out.organizations = orgs.map((o) => ({
          slug: o.slug,
          name: o.name,
          status: o.status,
          deployments: o.deployments.map((d) => ({
            product: d.product,
            status: d.status,
            version: d.version,
          })),
        }));
      }),
    );
  }
  await Promise.all(parts);
  out.unavailable = [...unavailable].map(([server, message]) => ({ server, message }));
  out.suggestions = suggestionsFor(out, staff);
  return out;
}

/** What to ask next, built only from what this person's own answers above contain. */
export function suggestionsFor(h: Home, staff: boolean): string[] {
  const out: string[] = [];
  const org =
    h.organizations?.[0]?.name ?? (h.queue?.tickets[0] ?? h.breachesToday?.tickets[0])?.organizationName;
  if (staff) out.push('Show my open tickets');
  else if (h.myTickets?.total) out.push('Show my open tickets');
  if (h.unassignedUrgent?.total) out.push('Show unassigned urgent tickets');
  // A supervisor's most pressing ticket is one nobody has; an agent's, the top of their queue.
  const first = (h.unassignedUrgent?.tickets[0] ?? h.queue?.tickets[0] ?? h.myTickets?.tickets[0])?.number;
  if (first) out.push(`Show ticket ${first}`);
  if (org) out.push(`What is the status of ${org}?`);
  out.push(
    staff ? 'How do I assign a body camera to an officer?' : 'How do I share evidence with a prosecutor?',
  );
  return out.slice(0, 4);
}
