/**
 * Read-only views of the services' own SQLite files in the stack's data dir, to check what the app shows
 * against what the system holds (paths and the read-only query: test/support/data-dir.ts).
 */
import { dbFile, query } from '../../test/support/data-dir.js';

export const OPEN_STATUSES = ['open', 'in_progress', 'waiting_on_customer'] as const;

export const ticketingDb = (dataDir: string) => dbFile(dataDir, 'ticketing');
export const organizationsDb = (dataDir: string) => dbFile(dataDir, 'organizations');
export { query };

export interface TicketRow {
  id: number;
  number: string;
  org: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  reporter: string;
  assignee: string | null;
}

const TICKET_COLUMNS = `id, 'TCK-' || id AS number, org, title, description, status, priority, reporter, assignee`;

export function ticketsOf(
  dataDir: string,
  org: string,
  statuses: readonly string[] = OPEN_STATUSES,
): TicketRow[] {
  return query<TicketRow>(
    ticketingDb(dataDir),
    `SELECT ${TICKET_COLUMNS} FROM tickets WHERE org = ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY id`,
    org,
    ...statuses,
  );
}

export function ticketsTitled(dataDir: string, title: string): TicketRow[] {
  return query<TicketRow>(
    ticketingDb(dataDir),
    `SELECT ${TICKET_COLUMNS} FROM tickets WHERE title = ? ORDER BY id`,
    title,
  );
}

export function ticketsMatching(dataDir: string, text: string): TicketRow[] {
  return query<TicketRow>(
    ticketingDb(dataDir),
    `SELECT ${TICKET_COLUMNS} FROM tickets WHERE instr(title, ?) > 0 OR instr(description, ?) > 0 ORDER BY id`,
    text,
    text,
  );
}

export function ticketCount(dataDir: string): number {
  return query<{ n: number }>(ticketingDb(dataDir), 'SELECT count(*) AS n FROM tickets')[0]!.n;
}

export interface OrganizationRow {
  slug: string;
  name: string;
}

export function organizations(dataDir: string): OrganizationRow[] {
  return query<OrganizationRow>(
    organizationsDb(dataDir),
    'SELECT slug, name FROM organizations ORDER BY slug',
  );
}

export function organization(dataDir: string, slug: string): OrganizationRow {
  const row = query<OrganizationRow>(
    organizationsDb(dataDir),
    'SELECT slug, name FROM organizations WHERE slug = ?',
    slug,
  )[0];
  if (!row) throw new Error(`no organization ${slug} in ${organizationsDb(dataDir)}`);
  return row;
}

/** Usernames and names of an organization's members. */
export function members(dataDir: string, org: string): { username: string; name: string; email: string }[] {
  return query(
    organizationsDb(dataDir),
    'SELECT m.username, m.name, m.email FROM members m JOIN organizations o ON o.id = m.org_id WHERE o.slug = ? ORDER BY m.username',
    org,
  );
}
