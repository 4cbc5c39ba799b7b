/**
 * The organizations MCP server as a process (`node services/organizations`), the real IDP as a process,
 * real JWTs (password login, then token exchange to this server's audience), the SDK Client over HTTP.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from '@msi/kit';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers } from '@msi/kit/demo';
import { dbFile, openReadOnly, tempDataDir } from '../../../test/support/data-dir.js';
import { backends, freshDatabase, pgQuery, type FreshDatabase } from '../../../test/support/database.js';
import { connectMcp } from '../../../test/support/mcp.js';
import { startService, type RunningService } from '../../../test/support/services.js';
import {
  clientCredentialsToken,
  exchangeToken,
  loginWithPassword,
  resourceToken,
  startIdp,
  type RunningIdp,
} from '../../../test/support/idp.js';

type Who =
  | 'james_smith'
  | 'linda_baker'
  | 'paul_morgan'
  | 'alex_agent'
  | 'riley_agent'
  | 'sam_supervisor'
  | 'admin'
  | 'service';
const PEOPLE: Who[] = [
  'james_smith',
  'linda_baker',
  'paul_morgan',
  'alex_agent',
  'riley_agent',
  'sam_supervisor',
  'admin',
];

let idp: RunningIdp;
let orgs: RunningService;
let data: { dir: string; cleanup(): void };
let ticketingUrl: string;
let apiToken: string;
const tokens = {} as Record<Who, string>;
const clients = {} as Record<Who, Client>;
let dbPath: string;
let pgdb: FreshDatabase | undefined;
/** What the server is started with besides its port: the data dir, the issuer, the database. */
const orgsEnv = () => ({
  MSI_DATA_DIR: data.dir,
  IDP_ISSUER: idp.url,
  ...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
});

const connect = (token: string): Promise<Client> => connectMcp(`${orgs.url}/mcp`, token, 'orgs-test');

const call = (who: Who, name: string, args: Record<string, unknown>) =>
  clients[who].callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const sc = <T = Record<string, unknown>>(r: CallToolResult) => r.structuredContent as T;

/** Everything that can change, read straight from the database (the SQLite file or PostgreSQL). */
async function snapshot() {
  const tables = {
    members: 'SELECT * FROM members ORDER BY id',
    permissions: 'SELECT * FROM member_permissions ORDER BY member_id, permission',
    events: 'SELECT * FROM events ORDER BY id',
    organizations: 'SELECT * FROM organizations ORDER BY id',
  };
  const out: Record<string, Record<string, unknown>[]> = {};
  if (pgdb) {
    for (const [k, q] of Object.entries(tables)) out[k] = await pgQuery(pgdb.url, q);
    return out as Record<keyof typeof tables, Record<string, unknown>[]>;
  }
  const db = openReadOnly(dbPath);
  try {
    for (const [k, q] of Object.entries(tables)) out[k] = db.prepare(q).all() as Record<string, unknown>[];
    return out as Record<keyof typeof tables, Record<string, unknown>[]>;
  } finally {
    db.close();
  }
}

const ALL = DEMO_ORGANIZATIONS.map((o) => o.slug).sort();
const claim = (u: string) => DEMO_USERS.find((x) => x.username === u)!.organizations;
const otherMember = (org: string, not: string) =>
  demoMembers().find((m) => m.org === org && m.username !== not)!.username;

type Outcome = 'ok' | 'not_found' | 'members_hidden' | 'no_tool';
interface Cell {
  tool: string;
  args: Record<string, unknown>;
  expect: Record<Who, Outcome>;
  /** Checked on every `ok` cell. */
  check?: (r: CallToolResult, who: Who) => void;
}

const everyone = (o: Outcome) =>
  Object.fromEntries([...PEOPLE, 'service'].map((w) => [w, o])) as Record<Who, Outcome>;

/** Outcomes where `them` are the organization's own people: every other person does not find it, the
 *  supervisor and the admin (who see every organization) do. */
const seenBy = (them: Partial<Record<Who, Outcome>>): Record<Who, Outcome> => ({
  ...everyone('not_found'),
  ...them,
  sam_supervisor: 'ok',
  admin: 'ok',
});

/** The authorization matrix: each tool × each seeded role, with the expected outcome of each cell. */
const MATRIX: Cell[] = [
  {
    tool: 'get_organization',
    args: { organization: 'dallas-police' },
    expect: seenBy({ james_smith: 'ok', alex_agent: 'ok' }),
    check: (r, who) => {
      expect(sc<{ slug: string }>(r).slug).toBe('dallas-police');
      expect(sc<{ deployments: unknown[] }>(r).deployments.length).toBeGreaterThan(0);
      expect(sc<{ membersVisible: boolean }>(r).membersVisible).toBe(true);
      expect(who).not.toBe('linda_baker');
    },
  },
  {
    tool: 'get_organization',
    args: { organization: 'Allen_Firestation' },
    expect: seenBy({ linda_baker: 'ok', alex_agent: 'ok' }),
    check: (r, who) => {
      expect(sc<{ slug: string }>(r).slug).toBe('allen-firestation');
      // linda_baker sees her organization but not its members (no view_agency_users).
      expect(sc<{ membersVisible: boolean }>(r).membersVisible).toBe(who !== 'linda_baker');
      expect(sc<{ memberCount: number | null }>(r).memberCount === null).toBe(who === 'linda_baker');
    },
  },
  {
    tool: 'get_organization',
    args: { organization: 'City of Los Angeles' },
    expect: seenBy({ paul_morgan: 'ok', riley_agent: 'ok' }),
  },
  {
    tool: 'get_organization_users',
    args: { organization: 'dallas-police' },
    expect: seenBy({ james_smith: 'ok', alex_agent: 'ok' }),
    check: (r) => {
      const members = sc<{ members: { username: string }[] }>(r)
        .members.map((m) => m.username)
        .sort();
      expect(members).toEqual(
        demoMembers()
          .filter((m) => m.org === 'dallas-police')
          .map((m) => m.username)
          .sort(),
      );
    },
  },
  {
    tool: 'get_organization_users',
    args: { organization: 'allen-firestation' },
    expect: seenBy({ linda_baker: 'members_hidden', alex_agent: 'ok' }),
    check: (r) => {
      for (const m of sc<{ members: { username: string }[] }>(r).members) {
        expect(demoMembers().some((d) => d.org === 'allen-firestation' && d.username === m.username)).toBe(
          true,
        );
      }
    },
  },
  {
    tool: 'get_organization_users',
    args: { organization: 'la-city' },
    expect: seenBy({ paul_morgan: 'ok', riley_agent: 'ok' }),
  },
  {
    tool: 'compare_user_permissions',
    args: {
      organization: 'Dallas Police Department',
      usernames: ['james_smith', otherMember('dallas-police', 'james_smith')],
    },
    expect: seenBy({ james_smith: 'ok', alex_agent: 'ok' }),
    check: (r) => {
      const s = sc<{ members: { username: string }[]; common: string[]; permissions: unknown[] }>(r);
      expect(s.members[0]!.username).toBe('james_smith');
      expect(s.common).toContain('view_records');
      expect(s.permissions).toHaveLength(6);
    },
  },
  {
    tool: 'compare_user_permissions',
    args: {
      organization: 'allen-firestation',
      usernames: ['linda_baker', otherMember('allen-firestation', 'linda_baker')],
    },
    expect: seenBy({ linda_baker: 'members_hidden', alex_agent: 'ok' }),
  },
  {
    tool: 'set_member_permissions',
    args: {
      organization: 'brandon-electronics',
      username: otherMember('brandon-electronics', ''),
      permissions: ['view_records'],
    },
    expect: { ...everyone('no_tool'), admin: 'ok' },
    check: (r) => expect(sc<{ after: string[] }>(r).after).toEqual(['view_records']),
  },
];

describe.each(backends())('organizations MCP server on %s', (backend) => {
  beforeAll(async () => {
    data = tempDataDir('orgs-it-');
    pgdb = backend === 'postgres' ? await freshDatabase('orgs_it') : undefined;
    const orgsPort = await freePort();
    const orgsUrl = `http://127.0.0.1:${orgsPort}`;
    ticketingUrl = `http://127.0.0.1:${await freePort()}`;
    idp = await startIdp({ audiences: { organizations: orgsUrl, ticketing: ticketingUrl } });
    orgs = await startService('organizations', orgsEnv(), { port: orgsPort });
    dbPath = dbFile(data.dir, 'organizations');
    await Promise.all(
      PEOPLE.map(async (u) => {
        const login = await loginWithPassword(idp.url, u);
        if (u === 'admin') apiToken = login.access_token;
        tokens[u] = (
          await exchangeToken(idp.url, {
            subjectToken: login.access_token,
            resource: orgs.url,
            scope: 'orgs:read orgs:write',
          })
        ).access_token;
      }),
    );
    // A service token with both scopes: no person behind it, so it still sees nothing and may change nothing.
    tokens.service = (
      await clientCredentialsToken(idp.url, { resource: orgs.url, scope: 'orgs:read orgs:write' })
    ).access_token;
    for (const w of [...PEOPLE, 'service'] as Who[]) clients[w] = await connect(tokens[w]);
  });

  afterAll(async () => {
    await Promise.all(Object.values(clients).map((c) => c.close().catch(() => {})));
    await orgs?.stop();
    await idp?.stop();
    data?.cleanup();
    await pgdb?.drop();
  });

  describe('authorization matrix (every tool × every seeded role, real tokens)', () => {
    for (const cell of MATRIX) {
      for (const who of [...PEOPLE, 'service'] as Who[]) {
        const outcome = cell.expect[who];
        it(`${cell.tool} ${JSON.stringify(cell.args)} as ${who} → ${outcome}`, async () => {
          const before =
            cell.tool === 'set_member_permissions' && outcome !== 'ok' ? await snapshot() : undefined;
          const r = await call(who, cell.tool, cell.args);
          if (outcome === 'ok') {
            expect(r.isError, text(r)).toBeFalsy();
            cell.check?.(r, who);
            return;
          }
          expect(r.isError).toBe(true);
          const msg = text(r);
          if (outcome === 'not_found') expect(msg).toMatch(/not found/);
          if (outcome === 'members_hidden') expect(msg).toMatch(/members of .* are not visible to you/);
          if (outcome === 'no_tool') expect(msg).toMatch(/Tool set_member_permissions not found/);
          expect(msg).not.toMatch(/forbidden/i);
          if (before) expect(await snapshot()).toEqual(before);
        });
      }
    }

    it('list_organizations lists exactly what each caller may see', async () => {
      const expected: Record<Who, string[]> = {
        james_smith: ['dallas-police'],
        linda_baker: ['allen-firestation'],
        paul_morgan: ['la-city'],
        alex_agent: [...claim('alex_agent')].sort(),
        riley_agent: [...claim('riley_agent')].sort(),
        sam_supervisor: ALL,
        admin: ALL,
        service: [],
      };
      for (const [who, slugs] of Object.entries(expected) as [Who, string[]][]) {
        const r = await call(who, 'list_organizations', { limit: 100 });
        expect(r.isError, text(r)).toBeFalsy();
        const s = sc<{ total: number; organizations: { slug: string }[] }>(r);
        expect(s.organizations.map((o) => o.slug).sort(), who).toEqual(slugs);
        expect(s.total).toBe(slugs.length);
      }
    });

    it('tools/list offers set_member_permissions to administrators only', async () => {
      for (const who of [...PEOPLE, 'service'] as Who[]) {
        const names = (await clients[who].listTools()).tools.map((t) => t.name);
        expect(names).toEqual(
          expect.arrayContaining([
            'list_organizations',
            'get_organization',
            'get_organization_users',
            'compare_user_permissions',
          ]),
        );
        expect(names.includes('set_member_permissions'), who).toBe(who === 'admin');
      }
    });

    it('an agent never sees an organization or a member outside the claim', async () => {
      const mine = claim('alex_agent');
      for (const slug of ALL.filter((s) => !mine.includes(s))) {
        const org = DEMO_ORGANIZATIONS.find((o) => o.slug === slug)!;
        for (const ref of [slug, org.name, org.legacyName].filter(Boolean) as string[]) {
          const r = await call('alex_agent', 'get_organization', { organization: ref });
          expect(r.isError, ref).toBe(true);
          expect(text(r)).toBe(`organization "${ref}" not found`);
        }
        const users = await call('alex_agent', 'get_organization_users', { organization: slug });
        expect(text(users)).toMatch(/not found/);
        await expect(clients.alex_agent.readResource({ uri: `org://${slug}` })).rejects.toThrow(/not found/);
      }
      const listed = sc<{ organizations: { slug: string }[] }>(
        await call('alex_agent', 'list_organizations', { query: 'police', limit: 100 }),
      ).organizations.map((o) => o.slug);
      expect(listed.every((s) => mine.includes(s))).toBe(true);
      // A member of another organization is not found in this one (the original system leaked them here).
      const paulInDallas = await call('alex_agent', 'compare_user_permissions', {
        organization: 'dallas-police',
        usernames: ['james_smith', 'paul_morgan'],
      });
      expect(text(paulInDallas)).toBe('member "paul_morgan" of Dallas Police Department not found');
      const search = sc<{ total: number }>(
        await call('alex_agent', 'get_organization_users', {
          organization: 'dallas-police',
          query: 'paul_morgan',
        }),
      );
      expect(search.total).toBe(0);
      const completion = await clients.alex_agent.complete({
        ref: { type: 'ref/resource', uri: 'org://{slug}' },
        argument: { name: 'slug', value: 'd' },
      });
      expect(completion.completion.values).toEqual(['dallas-police']); // not denver-fire
      const resources = (await clients.alex_agent.listResources()).resources.map((r) => r.uri).sort();
      expect(resources).toEqual(mine.map((s) => `org://${s}`).sort());
    });

    it('a customer needs view_agency_users in this database, and gets it when an admin grants it', async () => {
      expect(
        text(await call('linda_baker', 'get_organization_users', { organization: 'allen-firestation' })),
      ).toMatch(/not visible/);
      const grant = await call('admin', 'set_member_permissions', {
        organization: 'Allen Fire Station',
        username: 'linda_baker',
        permissions: ['view_records', 'view_agency_users'],
        reason: 'captain reviews her crew',
      });
      expect(sc<{ added: string[]; changed: boolean }>(grant)).toMatchObject({
        added: ['view_agency_users'],
        changed: true,
      });
      const now = await call('linda_baker', 'get_organization_users', { organization: 'allen-firestation' });
      expect(now.isError, text(now)).toBeFalsy();
      const ev = (await snapshot()).events.at(-1) as Record<string, unknown>;
      expect(ev).toMatchObject({
        actor: 'admin',
        action: 'member.permissions_set',
        subject: 'linda_baker',
        note: 'captain reviews her crew',
      });
      expect(JSON.parse(ev.after as string)).toEqual(['view_records', 'view_agency_users']);
      const again = await call('admin', 'set_member_permissions', {
        organization: 'allen-firestation',
        username: 'linda_baker',
        permissions: ['view_agency_users', 'view_records'],
      });
      expect(sc<{ changed: boolean }>(again).changed).toBe(false);
      expect((await snapshot()).events.at(-1)).toEqual(ev);
      // Put it back, so the matrix above is order-independent.
      await call('admin', 'set_member_permissions', {
        organization: 'allen-firestation',
        username: 'linda_baker',
        permissions: ['view_records'],
      });
      expect(
        text(await call('linda_baker', 'get_organization_users', { organization: 'allen-firestation' })),
      ).toMatch(/not visible/);
    });

    it('the org:// resource and the prompts follow the same rights', async () => {
      const res = await clients.james_smith.readResource({ uri: 'org://dallas-police' });
      const body = JSON.parse((res.contents[0] as { text: string }).text);
      expect(body).toMatchObject({ slug: 'dallas-police', legacyName: 'Dallas_Police' });
      await expect(clients.james_smith.readResource({ uri: 'org://allen-firestation' })).rejects.toThrow(
        /not found/,
      );
      const prompt = await clients.james_smith.getPrompt({
        name: 'org_health_summary',
        arguments: { organization: 'Dallas_Police' },
      });
      expect(prompt.messages.some((m) => m.content.type === 'resource')).toBe(true);
      await expect(
        clients.james_smith.getPrompt({ name: 'org_health_summary', arguments: { organization: 'la-city' } }),
      ).rejects.toThrow(/not found/);
      const review = await clients.james_smith.getPrompt({
        name: 'permission_review',
        arguments: { organization: 'dallas-police' },
      });
      expect(JSON.stringify(review.messages)).toContain('james_smith');
      await expect(
        clients.linda_baker.getPrompt({
          name: 'permission_review',
          arguments: { organization: 'allen-firestation' },
        }),
      ).rejects.toThrow(/not visible/);
    });
  });

  describe('tokens and transport', () => {
    const rpc = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${orgs.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const setCall = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'set_member_permissions',
        arguments: { organization: 'dallas-police', username: 'james_smith', permissions: [] },
      },
    };

    it('a write with a read-only token is refused with 403 insufficient_scope, and nothing changes', async () => {
      const readOnly = await resourceToken(idp.url, 'admin', orgs.url, 'orgs:read');
      const before = await snapshot();
      const res = await rpc(readOnly, setCall);
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      // Every scope the call needs, so a client that re-authorizes with it keeps its read access.
      expect(res.headers.get('www-authenticate')).toMatch(/scope="orgs:read orgs:write"/);
      expect(((await res.json()) as { error: string }).error).toBe('insufficient_scope');
      const client = await connect(readOnly);
      await expect(
        client.callTool({ name: 'set_member_permissions', arguments: setCall.params.arguments }),
      ).rejects.toThrow(/403|insufficient_scope/);
      // Reading still works with that token.
      expect(
        (await client.callTool({ name: 'get_organization', arguments: { organization: 'dallas-police' } }))
          .isError,
      ).toBeFalsy();
      await client.close();
      expect(await snapshot()).toEqual(before);
    });

    it('a token for another audience (the API, the ticketing server) is refused with 401 and resource metadata', async () => {
      const login = await loginWithPassword(idp.url, 'admin');
      const forTicketing = (
        await exchangeToken(idp.url, { subjectToken: login.access_token, resource: ticketingUrl })
      ).access_token;
      for (const token of [apiToken, login.access_token, forTicketing, 'not-a-jwt', undefined]) {
        const res = await rpc(token, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain(
          `resource_metadata="${orgs.url}/.well-known/oauth-protected-resource/mcp"`,
        );
      }
      const meta = (await (await fetch(`${orgs.url}/.well-known/oauth-protected-resource`)).json()) as Record<
        string,
        unknown
      >;
      expect(meta).toMatchObject({ resource: orgs.url, authorization_servers: [idp.url] });
      expect(meta.scopes_supported).toEqual(['orgs:read', 'orgs:write']);
    });

    it('refuses a foreign Host or Origin (DNS rebinding)', async () => {
      const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
      expect((await rpc(tokens.admin, list, { origin: 'http://evil.example' })).status).toBe(403);
      // fetch() will not send a foreign Host header, so this one goes through node:http.
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${orgs.url}/mcp`,
          {
            method: 'POST',
            headers: {
              host: 'evil.example',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              authorization: `Bearer ${tokens.admin}`,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(list));
      });
      expect(status).toBe(403);
      expect((await rpc(tokens.admin, list)).status).toBe(200);
    });

    it('a tool named after an Object.prototype member is an unknown tool, also for a read-only token', async () => {
      const readOnly = await resourceToken(idp.url, 'admin', orgs.url, 'orgs:read');
      for (const token of [tokens.admin, readOnly]) {
        for (const name of ['__proto__', 'constructor', 'toString']) {
          const res = await rpc(token, { ...setCall, params: { name, arguments: {} } });
          expect(res.status, name).toBe(200);
          const body = (await res.json()) as { error?: { message: string } };
          expect(body.error?.message, name).toMatch(new RegExp(`Tool ${name} not found`));
        }
      }
    });

    it('tools/call with arguments null is an invalid-params error without a schema dump', async () => {
      const res = await rpc(tokens.admin, {
        ...setCall,
        params: { name: 'get_organization', arguments: null },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { error?: { code: number; message: string } };
      expect(body.error?.code).toBe(-32602);
      expect(body.error?.message).toBe('tools/call arguments must be an object (got null)');
    });
  });

  describe('bad input: a tool error naming the field and the problem, nothing written', () => {
    const member = otherMember('dallas-police', 'james_smith');
    const CASES: [string, string, Record<string, unknown>, RegExp][] = [
      [
        'unknown organization',
        'get_organization',
        { organization: 'Springfield PD' },
        /organization "Springfield PD" not found/,
      ],
      [
        'unknown member',
        'set_member_permissions',
        { organization: 'dallas-police', username: 'nobody_here', permissions: [] },
        /member "nobody_here" of Dallas Police Department not found/,
      ],
      [
        'member of another org',
        'set_member_permissions',
        { organization: 'dallas-police', username: 'linda_baker', permissions: [] },
        /member "linda_baker" of Dallas Police Department not found/,
      ],
      [
        'unknown permission',
        'set_member_permissions',
        { organization: 'dallas-police', username: member, permissions: ['view_records', 'launch_drones'] },
        /must be one of view_records, .* at permissions\[1\]/,
      ],
      [
        'permissions not a list',
        'set_member_permissions',
        { organization: 'dallas-police', username: member, permissions: 'view_records' },
        /must be a list of permission names at permissions/,
      ],
      [
        'missing permissions',
        'set_member_permissions',
        { organization: 'dallas-police', username: member },
        /permissions/,
      ],
      ['empty organization', 'get_organization', { organization: '' }, /must not be empty at organization/],
      [
        'blank organization',
        'get_organization_users',
        { organization: '   ' },
        /must not be empty at organization/,
      ],
      [
        'empty username',
        'set_member_permissions',
        { organization: 'dallas-police', username: '', permissions: [] },
        /must not be empty at username/,
      ],
      ['empty query', 'list_organizations', { query: '' }, /must not be empty at query/],
      [
        'over-long organization',
        'get_organization',
        { organization: 'x'.repeat(121) },
        /at most 120 characters at organization/,
      ],
      [
        'over-long query',
        'get_organization_users',
        { organization: 'dallas-police', query: 'q'.repeat(201) },
        /at most 200 characters at query/,
      ],
      [
        'over-long reason',
        'set_member_permissions',
        { organization: 'dallas-police', username: member, permissions: [], reason: 'r'.repeat(501) },
        /at most 500 characters at reason/,
      ],
      [
        'number as organization',
        'get_organization',
        { organization: 42 },
        /must be a string at organization/,
      ],
      ['string as limit', 'list_organizations', { limit: 'ten' }, /limit/],
      ['limit out of range', 'list_organizations', { limit: 1000 }, /limit/],
      ['negative offset', 'get_organization_users', { organization: 'dallas-police', offset: -1 }, /offset/],
      ['unknown status', 'list_organizations', { status: 'on fire' }, /status/],
      [
        'one username to compare',
        'compare_user_permissions',
        { organization: 'dallas-police', usernames: ['james_smith'] },
        /at least two members at usernames/,
      ],
      [
        'usernames not a list',
        'compare_user_permissions',
        { organization: 'dallas-police', usernames: 'james_smith' },
        /must be a list of usernames at usernames/,
      ],
      [
        'the same username twice',
        'compare_user_permissions',
        { organization: 'dallas-police', usernames: ['james_smith', 'JAMES_SMITH'] },
        /JAMES_SMITH is named twice/,
      ],
      [
        'half an emoji in the reason',
        'set_member_permissions',
        { organization: 'dallas-police', username: 'james_smith', permissions: [], reason: 'audit \ud83d' },
        /not well-formed Unicode.* at reason/,
      ],
      ['SQL in organization', 'get_organization', { organization: "dallas-police' OR '1'='1" }, /not found/],
      [
        'SQL in username',
        'set_member_permissions',
        { organization: 'dallas-police', username: "james_smith'; DROP TABLE members; --", permissions: [] },
        /may contain only letters, digits.* at username/,
      ],
      [
        'SQL in a compared username',
        'compare_user_permissions',
        { organization: 'dallas-police', usernames: ['james_smith', "x' OR 1=1 --"] },
        /may contain only letters.* at usernames\[1\]/,
      ],
    ];

    for (const [name, tool, args, message] of CASES) {
      it(`${name}: ${tool}`, async () => {
        const before = await snapshot();
        const r = await call('admin', tool, args);
        expect(r.isError, JSON.stringify(r)).toBe(true);
        expect(text(r)).toMatch(message);
        expect(await snapshot()).toEqual(before);
      });
    }

    it('SQL-looking search text is only text', async () => {
      for (const query of ["' OR 1=1 --", '%', "'; DROP TABLE organizations; --"]) {
        const r = await call('admin', 'list_organizations', { query });
        expect(r.isError).toBeFalsy();
        expect(sc<{ total: number }>(r).total).toBe(0);
      }
      expect((await snapshot()).organizations).toHaveLength(DEMO_ORGANIZATIONS.length);
    });

    it('the server survives all of it', async () => {
      expect((await fetch(`${orgs.url}/healthz`)).status).toBe(200);
      expect(orgs.proc.exitCode).toBeNull();
    });
  });

  describe('data dir', () => {
    it('a restart keeps the data: an existing data dir is never re-seeded', async () => {
      const before = await snapshot();
      expect(before.events.length).toBeGreaterThan(1);
      await Promise.all(Object.values(clients).map((c) => c.close().catch(() => {})));
      await orgs.stop();
      orgs = await startService('organizations', orgsEnv(), { port: orgs.port });
      expect(await snapshot()).toEqual(before);
      clients.admin = await connect(tokens.admin);
      const r = await call('admin', 'get_organization_users', {
        organization: 'brandon-electronics',
        query: otherMember('brandon-electronics', ''),
      });
      expect(sc<{ members: { permissions: string[] }[] }>(r).members[0]!.permissions).toEqual([
        'view_records',
      ]);
    });
    // A file that is not a database: startup.test.ts.
  });
});
