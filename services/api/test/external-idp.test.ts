/**
 * The whole back end on a third-party OpenID provider (panva's oidc-provider 8, OpenID Certified; run by
 * test/support/external-idp.ts), our own IDP not running: Keycloak-shaped claims (realm roles at
 * `realm_access.roles`, organizations as `/organizations/<slug>` groups), JWT access tokens in PS256 (the
 * API), ES256 (ticketing) and RS256 (organizations), token exchange with `audience` and logical audiences.
 * Then: a person's rights come out right, a change waits for approval, and the MCP servers and the API
 * refuse every token of another issuer: a second instance of the same provider issuing for the very same
 * audiences, and our own IDP issuing for the API's.
 */
import type Database from 'better-sqlite3';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startExternalBackend, type ExternalBackend } from '../../../test/support/backend.js';
import { dbFile, openReadOnly } from '../../../test/support/data-dir.js';
import {
  EXTERNAL_API_SECRET,
  externalSignIn,
  startExternalIdp,
  type ExternalIdp,
} from '../../../test/support/external-idp.js';
import { loginWithPassword, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { callTool, connectMcp } from '../../../test/support/mcp.js';
import { createLogger } from '@msi/kit';
import { createTokenExchanger, ExchangeError } from '../src/token-exchange.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

let stack: ExternalBackend;
let ours: RunningIdp;
let other: ExternalIdp;
let tickets: Database.Database;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startExternalBackend();
  tickets = openReadOnly(dbFile(stack.dataDir, 'ticketing'));
  for (const u of ['james_smith', 'alex_agent', 'sam_supervisor']) tokens[u] = await stack.login(u);
  // Other issuers for exactly the same audiences: their tokens must count for nothing here.
  other = await startExternalIdp({
    apiUrl: stack.apiAudience,
    ticketingUrl: stack.ticketing.url,
    organizationsUrl: stack.organizations.url,
  });
  ours = await startIdp({ audiences: { api: stack.apiAudience } });
});
afterAll(async () => {
  tickets?.close();
  await other?.stop();
  await ours?.stop();
  await stack?.stop();
});

/** A token for an MCP server's audience from a provider (default: the trusted one), as the API gets it. */
async function exchanged(
  user: string,
  audience: string,
  idp: ExternalIdp = stack.idp,
  subjectToken = tokens[user]!,
): Promise<string> {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`msi-api:${EXTERNAL_API_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: ACCESS,
      audience,
    }),
  });
  const json = (await res.json()) as { access_token?: string; error?: string };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.access_token!;
}

async function ask(user: string, content: string, onEvent?: Parameters<typeof sendMessage>[4]) {
  const conv = await call<{ id: string }>(stack.api.url, tokens[user]!, 'POST', '/api/conversations', {});
  expect(conv.status).toBe(201);
  const turn = await sendMessage(stack.api.url, tokens[user]!, conv.body.id, content, onEvent);
  expect(turn.status).toBe(200);
  return turn;
}

describe('the back end on a third-party OpenID provider', () => {
  it('its tokens are what a production provider issues: JWTs per resource, in PS256, with its own claims', () => {
    const at = tokens.alex_agent!;
    expect(decodeProtectedHeader(at)).toMatchObject({ alg: 'PS256', typ: 'at+jwt' });
    const claims = decodeJwt(at);
    expect(claims).toMatchObject({
      iss: stack.idp.issuer,
      aud: stack.apiAudience,
      scope: 'api',
      realm_access: { roles: expect.arrayContaining(['msi-agent', 'default-roles-msi']) },
    });
    expect(claims).not.toHaveProperty('roles');
    expect(claims.sub).not.toBe('alex_agent');
  });

  it('the API reads roles and organizations through the configured claims', async () => {
    const me = await call(stack.api.url, tokens.alex_agent!, 'GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alex_agent', roles: ['agent'] });
    const orgs = (me.body as { organizations: string[] }).organizations;
    expect(orgs).toContain('dallas-police');
    // Only the `/organizations/` groups are organizations; the prefix is gone.
    expect(orgs.every((o) => !o.includes('/'))).toBe(true);
    expect(orgs).not.toContain('staff-newsletter');
    const sup = await call(stack.api.url, tokens.sam_supervisor!, 'GET', '/api/me');
    expect(sup.body).toMatchObject({ username: 'sam_supervisor', roles: ['supervisor'] });
  });

  it('"my tickets": the MCP server is reached through an `audience` token exchange, with the person\'s rights', async () => {
    const t = await ask('james_smith', 'Show my tickets');
    const n = (
      tickets.prepare('SELECT count(*) n FROM tickets WHERE reporter = ?').get('james_smith') as { n: number }
    ).n;
    expect(n).toBeGreaterThan(0);
    expect(t.of('tool.completed')[0]).toMatchObject({ ok: true, result: { total: n } });
    expect(t.text).toContain(`**${n}** ticket`);
  });

  it("a change waits for the person's approval, then is written as them", async () => {
    const title = `Radio gateway drops calls ${Date.now()}`;
    const turn = await ask('alex_agent', `Create a ticket for Allen Fire Station: ${title}`, async (e) => {
      if (e.event !== 'approval.required') return;
      expect(
        tickets.prepare('SELECT count(*) n FROM tickets WHERE title = ?').get(title),
        'nothing written before the decision',
      ).toEqual({ n: 0 });
      const r = await call(
        stack.api.url,
        tokens.alex_agent!,
        'POST',
        `/api/approvals/${String(e.data.approvalId)}`,
        {
          decision: 'approve',
        },
      );
      expect(r.status).toBe(200);
    });
    const row = tickets.prepare('SELECT id, reporter, org FROM tickets WHERE title = ?').get(title) as
      { id: number; reporter: string; org: string } | undefined;
    expect(row).toMatchObject({ reporter: 'alex_agent', org: 'allen-firestation' });
    expect(turn.text).toContain(`TCK-${row!.id}`);
  });

  it('the MCP servers take its exchanged tokens (ES256 and RS256, logical audiences)', async () => {
    const ticketing = await exchanged('alex_agent', 'msi-ticketing');
    expect(decodeProtectedHeader(ticketing).alg).toBe('ES256');
    expect(decodeJwt(ticketing)).toMatchObject({ aud: 'msi-ticketing', act: { sub: 'msi-api' } });
    const client = await connectMcp(`${stack.ticketing.url}/mcp`, ticketing);
    const r = await callTool(client, 'search_tickets', { assignee: 'alex_agent' });
    expect(r.isError).toBeFalsy();
    await client.close();

    const orgsToken = await exchanged('alex_agent', 'msi-organizations');
    expect(decodeProtectedHeader(orgsToken).alg).toBe('RS256');
    const orgs = await connectMcp(`${stack.organizations.url}/mcp`, orgsToken);
    expect((await orgs.listTools()).tools.length).toBeGreaterThan(0);
    await orgs.close();
  });
});

describe("the API's token exchanger at the third-party provider", () => {
  const exchanger = (opts: { target: 'resource' | 'audience'; issuer?: string }) =>
    createTokenExchanger({
      issuer: opts.issuer ?? stack.idp.issuer,
      clientId: 'msi-api',
      clientSecret: EXTERNAL_API_SECRET,
      log: createLogger('test', 'silent'),
      target: opts.target,
      audiences: { [stack.ticketing.url]: stack.idp.audiences.ticketing },
    });

  it('names the server by resource (RFC 8707) or by audience, as configured; both give its audience', async () => {
    for (const target of ['resource', 'audience'] as const) {
      const token = await exchanger({ target }).tokenFor('alex', tokens.alex_agent!, stack.ticketing.url);
      expect(decodeJwt(token), target).toMatchObject({
        aud: 'msi-ticketing',
        preferred_username: 'alex_agent',
        scope: 'tickets:read tickets:write',
      });
    }
  });

  it('refuses a provider whose discovery names another issuer (the issuer is pinned)', async () => {
    // The same provider reached as localhost: its discovery still says 127.0.0.1.
    const elsewhere = stack.idp.issuer.replace('127.0.0.1', 'localhost');
    const err = await exchanger({ target: 'audience', issuer: elsewhere })
      .tokenFor('alex', tokens.alex_agent!, stack.ticketing.url)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as Error).message).toBe(
      `the identity provider's discovery names issuer ${stack.idp.issuer}, expected ${elsewhere}`,
    );
  });
});

describe('tokens of any other issuer are refused', () => {
  const mcpCall = (url: string, token: string) =>
    fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });

  it("by both MCP servers: another provider's token for the very same audience is 401 invalid_token", async () => {
    const login = await externalSignIn(other, 'alex_agent', { resource: stack.apiAudience });
    for (const [server, audience] of [
      [stack.ticketing, stack.idp.audiences.ticketing],
      [stack.organizations, stack.idp.audiences.organizations],
    ] as const) {
      const foreign = await exchanged('alex_agent', audience, other, login.access_token);
      expect(decodeJwt(foreign)).toMatchObject({ aud: audience, iss: other.issuer });
      const res = await mcpCall(server.url, foreign);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
      // Its keys are not the trusted issuer's: refused before its claims are even read.
      expect(((await res.json()) as { message: string }).message).toBe(
        'the token was signed with an unknown key',
      );
    }
  });

  it("by the API: our own IDP's token for the API is 401", async () => {
    const login = await loginWithPassword(ours.issuer, 'alex_agent', 'demo', { resource: stack.apiAudience });
    expect(decodeJwt(login.access_token).aud).toBe(stack.apiAudience);
    const me = await call(stack.api.url, login.access_token, 'GET', '/api/me');
    expect(me.status).toBe(401);
  });

  it('a token of the external provider for the API is not one for an MCP server (audience)', async () => {
    const res = await mcpCall(stack.ticketing.url, tokens.alex_agent!);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toContain('wrong audience');
  });
});
