/**
 * A standard MCP host signs in to our MCP servers with no pre-registration, as VS Code, Claude Desktop or
 * MCP Inspector do: the official SDK's client auth (discovery from the 401, RFC 9728 metadata, dynamic
 * registration or a Client ID Metadata Document, PKCE, the person's consent) against the real IDP and the
 * real ticketing server. Only the browser is played by fetch: the login form and the consent page.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@msi/kit';
import {
  cookiesOf,
  formField,
  loginWithPassword,
  pkce,
  startIdp,
  type RunningIdp,
} from '../../../test/support/idp.js';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';

let idp: RunningIdp;
let ticketing: RunningService;
let mcpUrl: URL;
let docs: Server;
let docsOrigin: string;
const data = tempDataDir('msi-hosts-');
const certDir = mkdtempSync(join(tmpdir(), 'msi-hosts-cert-'));
const clientDocs = new Map<string, unknown>();

beforeAll(async () => {
  // An https host for Client ID Metadata Documents, with a certificate the IDP is told to trust.
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '1'],
      ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  docs = createServer(
    { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) },
    (req, res) => {
      const doc = clientDocs.get(req.url ?? '');
      res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(doc ?? {}));
    },
  );
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docsOrigin = `https://127.0.0.1:${(docs.address() as { port: number }).port}`;

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mcpUrl = new URL(`${url}/mcp`);
  idp = await startIdp({
    audiences: { ticketing: url },
    env: { IDP_CLIENT_METADATA_PRIVATE_HOSTS: 'true', NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem') },
  });
  ticketing = await startService(
    'ticketing',
    { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.issuer },
    { port, timeoutMs: 120_000 },
  );
});

afterAll(async () => {
  await ticketing?.stop();
  await idp?.stop();
  docs?.close();
  data.cleanup();
  rmSync(certDir, { recursive: true, force: true });
});

/** An MCP host's OAuth state, as the SDK asks a host to keep it. */
class Host implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;

  constructor(
    readonly redirectUrl: string,
    readonly clientMetadataUrl?: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test MCP Host',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** The person in a browser: signs in once (the cookie stays), then answers each consent page. */
class Browser {
  private jar = new Map<string, string>();
  consentPages: string[] = [];

  private cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  private keep(res: Response) {
    for (const c of cookiesOf(res)) {
      const i = c.indexOf('=');
      this.jar.set(c.slice(0, i), c.slice(i + 1));
    }
  }
  private async post(url: URL, form: Record<string, string>) {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie() },
      body: new URLSearchParams(form),
    });
    this.keep(res);
    return res;
  }

  /** Follows the authorization URL to the redirect back to the host; returns that URL. */
  async authorize(url: URL, username = 'alex_agent', decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
    let res = await fetch(url, { redirect: 'manual', headers: { cookie: this.cookie() } });
    this.keep(res);
    let html = await res.text();
    expect(res.status, html).toBe(200);
    if (html.includes('name="password"')) {
      res = await this.post(new URL('login', url), {
        request_id: formField(html, 'request_id'),
        csrf: formField(html, 'csrf'),
        username,
        password: 'demo',
      });
      html = await res.text();
    }
    expect(html, 'a client that is not the desktop app is always asked about').toContain('Allow access?');
    this.consentPages.push(html);
    res = await this.post(new URL('consent', url), {
      request_id: formField(html, 'request_id'),
      csrf: formField(html, 'csrf'),
      decision,
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }
}

/** Connects as the SDK does; on 401 plays the browser and finishes the sign-in, then connects again. */
async function connectAs(host: Host, browser: Browser): Promise<Client> {
  const attempt = async () => {
    const client = new Client({ name: 'test-host', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: host }));
    return client;
  };
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  const back = await browser.authorize(host.authorizationUrl!);
  const code = back.searchParams.get('code');
  expect(code, back.toString()).toBeTruthy();
  const finish = new StreamableHTTPClientTransport(mcpUrl, { authProvider: host });
  await finish.finishAuth(code!);
  return attempt();
}

describe('an MCP host with dynamic client registration (RFC 7591)', () => {
  it('registers, is asked about on a consent page, signs in with PKCE and calls tools as the person', async () => {
    const host = new Host('http://127.0.0.1:53682/oauth/callback');
    const browser = new Browser();
    const client = await connectAs(host, browser);

    expect(host.client?.client_id).toMatch(/^dcr\./);
    const consent = browser.consentPages[0]!;
    expect(consent).toContain('Test MCP Host (registered by an application, not verified)');
    expect(consent).toContain('http://127.0.0.1:53682');
    expect(consent).toContain('<code>tickets:read</code>');

    // The token is for the /mcp resource its metadata names, carrying the read scope the 401 named.
    const claims = decodeJwt(host.saved!.access_token);
    expect(claims.aud).toBe(mcpUrl.toString());
    expect(String(claims.scope).split(' ')).toContain('tickets:read');
    expect(claims.preferred_username).toBe('alex_agent');

    const mine = await client.callTool({ name: 'search_tickets', arguments: { limit: 1 } });
    expect(mine.isError).toBeFalsy();
    await client.close();
  });

  it('steps up for a write without losing its read scope: the 403 names every scope the call needs', async () => {
    const host = new Host('http://127.0.0.1:53683/cb');
    const browser = new Browser();
    const client = await connectAs(host, browser);
    const create = {
      name: 'create_ticket',
      arguments: { org: 'dallas-police', title: 'Dock offline', description: 'Since Monday.' },
    };
    // SDK 1.x answers the 403 by re-authorizing with the challenge's scope.
    await expect(client.callTool(create)).rejects.toThrow();
    expect(host.authorizationUrl!.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['tickets:read', 'tickets:write']),
    );
    const back = await browser.authorize(host.authorizationUrl!);
    await new StreamableHTTPClientTransport(mcpUrl, { authProvider: host }).finishAuth(
      back.searchParams.get('code')!,
    );
    await client.close();
    const again = await connectAs(host, browser);
    const scopes = String(decodeJwt(host.saved!.access_token).scope).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['tickets:read', 'tickets:write']));
    expect((await again.callTool({ name: 'search_tickets', arguments: { limit: 1 } })).isError).toBeFalsy();
    const created = await again.callTool(create);
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    await again.close();
  });

  it('refuses what a native or loopback client may not register, saying why', async () => {
    const register = (body: unknown) =>
      fetch(`${idp.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const cases: [unknown, string, RegExp][] = [
      [{ redirect_uris: ['https://evil.example/cb'] }, 'invalid_redirect_uri', /native and loopback/],
      [
        { redirect_uris: ['http://evil.example/cb'] },
        'invalid_redirect_uri',
        /not one this server registers/,
      ],
      [{ redirect_uris: ['http://127.0.0.1/cb#x'] }, 'invalid_redirect_uri', /fragment|not one/],
      [{ redirect_uris: [] }, 'invalid_redirect_uri', /non-empty/],
      [
        { redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'client_secret_basic' },
        'invalid_client_metadata',
        /public/,
      ],
      [
        { redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['client_credentials'] },
        'invalid_client_metadata',
        /grant_types/,
      ],
      [{ redirect_uris: Array(6).fill('http://127.0.0.1/cb') }, 'invalid_redirect_uri', /at most 5/],
    ];
    for (const [body, error, why] of cases) {
      const res = await register(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: string; error_description: string };
      expect(json.error).toBe(error);
      expect(json.error_description).toMatch(why);
    }
    const ok = (await (await register({ redirect_uris: ['com.example.host:/oauth'] })).json()) as {
      client_id: string;
    };
    expect(ok.client_id).toMatch(/^dcr\./);
  });

  it('knows a registration only by its signed id: a tampered one, or another redirect URI, is refused', async () => {
    const res = await fetch(`${idp.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Host', redirect_uris: ['http://127.0.0.1/cb'] }),
    });
    const { client_id } = (await res.json()) as { client_id: string };
    const [, encoded, mac] = client_id.split('.');
    const forged = Buffer.from(
      JSON.stringify({ n: 'Host', r: ['http://127.0.0.1/cb', 'https://evil.example/cb'] }),
    ).toString('base64url');
    const authorize = (clientId: string, redirect: string) => {
      const u = new URL(`${idp.issuer}/authorize`);
      for (const [k, v] of Object.entries({
        client_id: clientId,
        redirect_uri: redirect,
        response_type: 'code',
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
        resource: mcpUrl.toString(),
      }))
        u.searchParams.set(k, v);
      return fetch(u, { redirect: 'manual' });
    };
    expect((await authorize(`dcr.${forged}.${mac}`, 'https://evil.example/cb')).status).toBe(400);
    expect(await (await authorize(`dcr.${forged}.${mac}`, 'https://evil.example/cb')).text()).toContain(
      'Unknown client',
    );
    expect((await authorize(`dcr.${encoded}.${mac}`, 'http://127.0.0.1/other')).status).toBe(400);
    // Any port of the registered loopback redirect (RFC 8252 §7.3).
    expect((await authorize(`dcr.${encoded}.${mac}`, 'http://127.0.0.1:61234/cb')).status).toBe(200);
  });
});

describe('ID tokens', () => {
  it('are RS256 for a client that did not register another algorithm (OIDC), ES256 for the desktop app', async () => {
    const redirect = 'http://127.0.0.1:53700/cb';
    const reg = (await (
      await fetch(`${idp.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'OIDC Host', redirect_uris: [redirect] }),
      })
    ).json()) as { client_id: string };
    const { verifier, challenge } = pkce();
    const u = new URL(`${idp.issuer}/authorize`);
    for (const [k, v] of Object.entries({
      client_id: reg.client_id,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid profile tickets:read',
      resource: mcpUrl.toString(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      nonce: 'n-1',
    }))
      u.searchParams.set(k, v);
    const back = await new Browser().authorize(u);
    const tokens = (await (
      await fetch(`${idp.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: reg.client_id,
          code: back.searchParams.get('code')!,
          redirect_uri: redirect,
          code_verifier: verifier,
        }),
      })
    ).json()) as { id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: idp.issuer,
      audience: reg.client_id,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ nonce: 'n-1', preferred_username: 'alex_agent' });

    const desktop = await loginWithPassword(idp.issuer, 'alex_agent');
    expect(decodeProtectedHeader(desktop.id_token!).alg).toBe('ES256');
  });
});

describe('an MCP host with a Client ID Metadata Document', () => {
  it('signs in with its https URL as client id; the consent page names it and its host', async () => {
    const redirect = 'http://127.0.0.1:53690/callback';
    const id = `${docsOrigin}/oauth/client.json`;
    clientDocs.set('/oauth/client.json', {
      client_id: id,
      client_name: 'Metadata Host',
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const host = new Host(redirect, id);
    const browser = new Browser();
    const client = await connectAs(host, browser);
    expect(host.client?.client_id).toBe(id);
    expect(browser.consentPages[0]).toContain(`Metadata Host (127.0.0.1:${new URL(docsOrigin).port})`);
    expect(decodeJwt(host.saved!.access_token).client_id).toBe(id);
    expect((await client.callTool({ name: 'search_tickets', arguments: { limit: 1 } })).isError).toBeFalsy();
    await client.close();
  });

  it('refuses a document that names another client id, or none at all', async () => {
    clientDocs.set('/bad.json', {
      client_id: 'https://elsewhere.example/c.json',
      redirect_uris: ['http://127.0.0.1/cb'],
    });
    for (const path of ['/bad.json', '/missing.json']) {
      const u = new URL(`${idp.issuer}/authorize`);
      u.searchParams.set('client_id', `${docsOrigin}${path}`);
      u.searchParams.set('redirect_uri', 'http://127.0.0.1/cb');
      const res = await fetch(u, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('Unknown client');
    }
  });
});
