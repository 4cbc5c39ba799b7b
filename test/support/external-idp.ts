/**
 * The third-party identity provider (panva's oidc-provider, test/support/external-idp/server.ts) as a
 * process, and the environment our services need to trust it instead of our own IDP: the issuer, the
 * Keycloak-shaped claims (realm roles, organization groups), logical audiences with `audience` token
 * exchange. `signIn` goes through its own login page the way a browser does.
 */
import { join } from 'node:path';
import { freePort } from '@msi/kit';
import { pkce, type LoginTokens } from './idp.js';
import { ROOT, startProcess, type RunningProcess } from './services.js';

export const EXTERNAL_API_SECRET = 'external-idp-test-secret-0123456789abcdef';

export interface ExternalIdpOptions {
  apiUrl: string;
  ticketingUrl: string;
  organizationsUrl: string;
  /** Renderer origins whose /auth/callback and /auth/signed-out are registered (default http://127.0.0.1:1). */
  rendererOrigins?: string[];
  /** The MCP servers' audiences are `msi-ticketing` / `msi-organizations`, not their URLs (default true). */
  logicalAudiences?: boolean;
  accessTokenTtl?: number;
  port?: number;
}

export interface ExternalIdp extends RunningProcess {
  issuer: string;
  /** The audience each MCP server accepts. */
  audiences: { ticketing: string; organizations: string };
  /** What the API needs to trust this provider and exchange tokens at it. */
  apiEnv: Record<string, string>;
  /** What an MCP server needs (`ticketing` or `organizations`). */
  mcpEnv(server: 'ticketing' | 'organizations'): Record<string, string>;
}

/** How our services read this provider's tokens (the same as a Keycloak realm's). */
export const EXTERNAL_CLAIMS = {
  IDP_ROLES_CLAIM: 'realm_access.roles',
  IDP_ROLE_MAP: 'msi-customer=customer,msi-agent=agent,msi-supervisor=supervisor,msi-admin=admin',
  IDP_ORGANIZATIONS_CLAIM: 'groups',
  IDP_ORGANIZATIONS_PREFIX: '/organizations/',
};

export async function startExternalIdp(opts: ExternalIdpOptions): Promise<ExternalIdp> {
  const port = opts.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const logical = opts.logicalAudiences ?? true;
  const proc = await startProcess({
    name: 'external-idp',
    args: ['--import', 'tsx', join(ROOT, 'test', 'support', 'external-idp', 'server.ts')],
    env: {
      PORT: String(port),
      API_URL: opts.apiUrl,
      TICKETING_URL: opts.ticketingUrl,
      ORGANIZATIONS_URL: opts.organizationsUrl,
      API_CLIENT_SECRET: EXTERNAL_API_SECRET,
      RENDERER_ORIGINS: (opts.rendererOrigins ?? ['http://127.0.0.1:1']).join(','),
      LOGICAL_AUDIENCES: String(logical),
      ...(opts.accessTokenTtl ? { ACCESS_TOKEN_TTL: String(opts.accessTokenTtl) } : {}),
    },
    healthUrl: `${issuer}/.well-known/openid-configuration`,
    timeoutMs: 60_000,
  });
  const audiences = {
    ticketing: logical ? 'msi-ticketing' : opts.ticketingUrl,
    organizations: logical ? 'msi-organizations' : opts.organizationsUrl,
  };
  return {
    ...proc,
    issuer,
    audiences,
    apiEnv: {
      IDP_ISSUER: issuer,
      API_CLIENT_ID: 'msi-api',
      API_CLIENT_SECRET: EXTERNAL_API_SECRET,
      ...EXTERNAL_CLAIMS,
      ...(logical
        ? {
            TOKEN_EXCHANGE_TARGET: 'audience',
            TICKETING_AUDIENCE: audiences.ticketing,
            ORGANIZATIONS_AUDIENCE: audiences.organizations,
          }
        : {}),
    },
    mcpEnv: (server) => ({
      IDP_ISSUER: issuer,
      ...EXTERNAL_CLAIMS,
      ...(logical ? { TOKEN_AUDIENCE: audiences[server] } : {}),
    }),
  };
}

const cookieJar = () => {
  const jar = new Map<string, string>();
  return {
    take(res: Response) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (value) jar.set(name, value);
        else jar.delete(name);
      }
    },
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
  };
};

/**
 * Signs in as `username` at the external provider like a browser: the authorization request, its login
 * form, the redirects through its consent step, then the code exchange (PKCE) at its token endpoint.
 */
export async function externalSignIn(
  idp: Pick<ExternalIdp, 'issuer'>,
  username: string,
  opts: { resource: string; password?: string; redirectUri?: string },
): Promise<LoginTokens> {
  const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:1/auth/callback';
  const { verifier, challenge } = pkce();
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: 'msi-desktop',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access api',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    nonce: 'n',
    resource: opts.resource,
  }).toString();
  const jar = cookieJar();
  let res = await fetch(authorize, { redirect: 'manual' });
  let url = authorize;
  for (let hops = 0; hops < 10; hops++) {
    jar.take(res);
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.href.startsWith(redirectUri)) break;
      res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      continue;
    }
    const html = await res.text();
    const action = html.match(/<form method="post" action="([^"]+)"/)?.[1];
    if (!action)
      throw new Error(`the provider showed no login form (HTTP ${res.status}): ${html.slice(0, 300)}`);
    url = new URL(action, url);
    res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: new URLSearchParams({ username, password: opts.password ?? 'demo' }),
    });
    if (res.status === 401) throw new Error(`sign-in refused for ${username}`);
  }
  const code = url.searchParams.get('code');
  if (!code) throw new Error(`no code in ${url.href}`);
  const token = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: 'msi-desktop',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      resource: opts.resource,
    }),
  });
  const json = (await token.json()) as LoginTokens & { error?: string; error_description?: string };
  if (!token.ok) throw new Error(`token request refused: ${json.error}: ${json.error_description}`);
  return json;
}
