/**
 * The ticketing server knows organizations and staff from its own directory, never from the demo data:
 * a server with an empty directory (nothing seeded) works for an organization it learns only from the
 * verified claims of the people who call it, and an administrator names it with `directory import`.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORGANIZATIONS } from '@msi/kit/demo';
import { backends, call, errorText, startHarness, type Harness } from './harness.js';

const ORG = 'springfield-police';
let stack: Harness;

/** Adds people to the IDP's directory (as its administrator would), with the demo password. */
function addIdpUsers(
  idpDataDir: string,
  users: { username: string; name: string; role: string; orgs: string[] }[],
) {
  const db = new Database(join(idpDataDir, 'idp', 'idp.sqlite'));
  try {
    const { password_hash } = db
      .prepare("SELECT password_hash FROM users WHERE username = 'james_smith'")
      .get() as {
      password_hash: string;
    };
    const ins = db.prepare(
      'INSERT INTO users (id, username, name, email, role, organizations, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const u of users)
      ins.run(
        `u_${u.username}`,
        u.username,
        u.name,
        `${u.username}@springfield.example`,
        u.role,
        JSON.stringify(u.orgs),
        password_hash,
      );
  } finally {
    db.close();
  }
}

describe.each(backends())('on %s', (backend) => {
  beforeAll(async () => {
    stack = await startHarness({ SEED_TICKETS: '0' }, backend);
    expect(DEMO_ORGANIZATIONS.some((o) => o.slug === ORG)).toBe(false);
    addIdpUsers(stack.idp.dataDir, [
      { username: 'casey_quinn', name: 'Casey Quinn', role: 'agent', orgs: [ORG] },
      { username: 'pat_lee', name: 'Pat Lee', role: 'customer', orgs: [ORG] },
    ]);
  });
  afterAll(() => stack?.stop());

  describe('an organization known only from token claims', () => {
    let number: string;

    it('its customer creates a ticket for it and sees it', async () => {
      const pat = await stack.client('pat_lee');
      const r = await call(pat, 'create_ticket', {
        title: 'Dock offline',
        description: 'The DS-8 dock is offline.',
      });
      expect(r.isError, errorText(r)).toBeFalsy();
      const ticket = r.structuredContent!.ticket as {
        number: string;
        organization: string;
        organizationName: string;
      };
      expect(ticket).toMatchObject({ organization: ORG, organizationName: ORG });
      number = ticket.number;
      const mine = await call(pat, 'search_tickets', { reporter: 'me' });
      expect(mine.structuredContent).toMatchObject({ total: 1 });
    });

    it('its agent finds it by the organization and may be assigned to it', async () => {
      const casey = await stack.client('casey_quinn');
      const found = await call(casey, 'search_tickets', { org: ORG });
      expect(found.isError, errorText(found)).toBeFalsy();
      expect(found.structuredContent).toMatchObject({ total: 1 });
      const sam = await stack.client('sam_supervisor');
      const assigned = await call(sam, 'update_ticket', { number, assignee: 'casey_quinn' });
      expect(assigned.isError, errorText(assigned)).toBeFalsy();
      expect(assigned.structuredContent!.ticket).toMatchObject({ assignee: 'casey_quinn' });
      // Staff nobody has seen (no claim, no import) cannot be assigned: the demo agents are unknown here.
      const unknown = await call(sam, 'update_ticket', { number, assignee: 'alex_agent' });
      expect(errorText(unknown)).toBe('assignee: no support staff member is named "alex_agent"');
    });

    it('an agent of other organizations does not see it, and cannot be assigned to it', async () => {
      const alex = await stack.client('alex_agent');
      const r = await call(alex, 'search_tickets', { org: ORG });
      expect(errorText(r)).toBe(`org: organization "${ORG}" not found`);
      const sam = await stack.client('sam_supervisor');
      const refused = await call(sam, 'update_ticket', { number, assignee: 'alex_agent' });
      expect(errorText(refused)).toBe(
        `assignee: alex_agent does not support ${ORG}; assign an agent who does, or a supervisor`,
      );
    });

    it('the claims are written to the directory once, not on every request', async () => {
      expect(await stack.query('SELECT slug, name FROM organizations WHERE slug = ?', ORG)).toEqual([
        { slug: ORG, name: ORG },
      ]);
      const staff = await stack.query<{ username: string; role: string; organizations: unknown }>(
        'SELECT username, role, organizations, updated_at FROM staff ORDER BY username',
      );
      expect(staff.map((s) => s.username)).toEqual(['alex_agent', 'casey_quinn', 'sam_supervisor']);
      const orgs = staff[1]!.organizations;
      expect(staff[1]!.role).toBe('agent');
      expect(typeof orgs === 'string' ? JSON.parse(orgs) : orgs).toEqual([ORG]);
    });

    it('an administrator names it with `directory import`; a bad file imports nothing', async () => {
      const cli = (file: string) =>
        spawnSync(
          process.execPath,
          [fileURLToPath(new URL('..', import.meta.url)), 'directory', 'import', file],
          {
            env: {
              PATH: process.env.PATH,
              MSI_DATA_DIR: stack.dataDir,
              ...(stack.env.DATABASE_URL ? { DATABASE_URL: stack.env.DATABASE_URL } : {}),
            },
            encoding: 'utf8',
          },
        );
      const bad = join(stack.dataDir, 'bad.json');
      writeFileSync(
        bad,
        JSON.stringify({
          organizations: [{ slug: ORG, name: 'Springfield PD' }],
          staff: [{ username: 'jo', name: 'Jo', role: 'customer' }],
        }),
      );
      const refused = cli(bad);
      expect(refused.status).toBe(64);
      expect(refused.stderr).toContain('staff.0.role: ');
      expect(refused.stderr).toContain('nothing was imported');

      const good = join(stack.dataDir, 'directory.json');
      writeFileSync(
        good,
        JSON.stringify({
          organizations: [{ slug: ORG, name: 'Springfield Police Department' }],
          staff: [{ username: 'dana_agent', name: 'Dana Ortiz', role: 'agent', organizations: [ORG] }],
        }),
      );
      const ok = cli(good);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/imported 1 organizations and 1 staff/);

      const casey = await stack.client('casey_quinn');
      const byName = await call(casey, 'search_tickets', { org: 'springfield police department' });
      expect(byName.isError, errorText(byName)).toBeFalsy();
      expect((byName.structuredContent!.tickets as { organizationName: string }[])[0]).toMatchObject({
        organizationName: 'Springfield Police Department',
      });
      const sam = await stack.client('sam_supervisor');
      const assigned = await call(sam, 'get_ticket', { number: 'TCK-1001' });
      expect(assigned.structuredContent!.ticket).toMatchObject({
        organizationName: 'Springfield Police Department',
      });
      const toDana = await call(sam, 'update_ticket', { number: 'TCK-1001', assignee: 'dana_agent' });
      expect(toDana.isError, errorText(toDana)).toBeFalsy();
    });
  });
});
