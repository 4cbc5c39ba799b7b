/**
 * The real IDP for tests: `startIdp()` runs the built service as a process (test/support/services.ts), and
 * the helpers get real tokens from it over plain HTTP, the way a client does: the authorization request,
 * the login form (with its CSRF token and cookie), the redirect with the code, and `/token` with PKCE.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CLIENT_IDS } from '@msi/contracts/endpoints';
import { tempDataDir } from './data-dir.js';
import { startService, type RunningService } from './services.js';

/** The `msi-api` client's secret the test IDP is started with (give the same to the API under test). */
export const TEST_API_CLIENT_SECRET = 'test-api-client-secret';
export const DESKTOP_CLIENT_ID = CLIENT_IDS.desktop;
export const API_CLIENT_ID = CLIENT_IDS.api;
export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
/**
 * The renderer origin the test IDP trusts by default (ALLOWED_ORIGINS): the desktop client's code goes
 * there without a consent page. loginWithPassword's default redirect URI is on it (and never called).
 */
export const TEST_RENDERER_ORIGIN = 'http://127.0.0.1:1';

export interface IdpAudiences {
  api: string;
  ticketing: string;
  organizations: string;
}

export interface StartIdpOptions {
  /** The only audiences the IDP issues tokens for (defaults: placeholder loopback URLs). */
  audiences?: Partial<IdpAudiences>;
  /** Data dir to use (kept); default: a fresh temp dir removed on stop(). */
  dataDir?: string;
  /** Demo mode (demo users listed on the login page); default true. */
  demo?: boolean;
  /** Any other environment (e.g. IDP_CODE_TTL, IDP_ACCESS_TOKEN_TTL, ALLOWED_ORIGINS). */
  env?: Record<string, string | undefined>;
  port?: number;
}

export interface RunningIdp extends RunningService {
  issuer: string;
  dataDir: string;
  audiences: IdpAudiences;
}

export async function startIdp(opts: StartIdpOptions = {}): Promise<RunningIdp> {
  const audiences: IdpAudiences = {
    api: 'http://127.0.0.1:18000',
    ticketing: 'http://127.0.0.1:19000',
    organizations: 'http://127.0.0.1:19001',
    ...opts.audiences,
  };
  const temp = opts.dataDir ? undefined : tempDataDir('msi-idp-');
  const dataDir = opts.dataDir ?? temp!.dir;
  let svc: RunningService;
  try {
    svc = await startService(
      'idp',
      {
        MSI_DATA_DIR: dataDir,
        API_CLIENT_SECRET: TEST_API_CLIENT_SECRET,
        IDP_DEMO: String(opts.demo ?? true),
        API_URL: audiences.api,
        TICKETING_URL: audiences.ticketing,
        ORGANIZATIONS_URL: audiences.organizations,
        ALLOWED_ORIGINS: TEST_RENDERER_ORIGIN,
        ...opts.env,
      },
      opts.port ? { port: opts.port } : {},
    );
  } catch (err) {
    temp?.cleanup();
    throw err;
  }
  return {
    ...svc,
    issuer: svc.url,
    dataDir,
    audiences,
    async stop() {
      await svc.stop();
      temp?.cleanup();
    },
  };
}

/** An error answer of the IDP (RFC 6749 §5.2), or of its login page. */
export class IdpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description} (HTTP ${status})`);
    this.name = 'IdpError';
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  issued_token_type?: string;
}

export interface LoginTokens extends TokenResponse {
  refresh_token: string;
  id_token: string;
}

export interface LoginOptions {
  /** RFC 8707 resource; default: the IDP's API_URL. */
  resource?: string;
  /** Default: `openid profile email offline_access` and the resource's own scopes (the IDP keeps those the
   *  resource offers: `api`, or `tickets:read tickets:write`, or `orgs:read orgs:write`). */
  scope?: string;
  /** A loopback redirect with path /auth/callback on a renderer origin the IDP trusts (ALLOWED_ORIGINS);
   *  default http://127.0.0.1:1/auth/callback (never called). */
  redirectUri?: string;
  nonce?: string;
}

const ALL_RESOURCE_SCOPES = 'api tickets:read tickets:write orgs:read orgs:write';
const b64url = (b: Buffer) => b.toString('base64url');

/** A PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

/** The `name=value` pairs a response sets (cleared cookies left out). */
export function cookiesOf(res: Response): string[] {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='));
}

/** A hidden form field's value in an IDP page ('' when the page has none). */
export function formField(html: string, name: string): string {
  return html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1] ?? '';
}

function hiddenField(html: string, name: string): string {
  const v = formField(html, name);
  if (!v) throw new Error(`the login page has no ${name} field`);
  return v;
}

/** Posts the login form of an authorization `page` (its request id, CSRF token and cookie) as `username`. */
export function submitLogin(
  page: Response,
  html: string,
  username: string,
  password = 'demo',
): Promise<Response> {
  return fetch(new URL('login', page.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(page).join('; ') },
    body: new URLSearchParams({
      request_id: hiddenField(html, 'request_id'),
      csrf: hiddenField(html, 'csrf'),
      username,
      password,
    }),
  });
}

async function tokenRequest(
  issuer: string,
  form: Record<string, string | undefined>,
  basic?: [string, string],
) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  }
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body });
  const json = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok)
    throw new IdpError(res.status, json.error ?? 'error', json.error_description ?? JSON.stringify(json));
  return json;
}

/**
 * Opens an authorization URL, fills the login form (request id, CSRF token and cookie, username, password)
 * and returns the URL the IDP redirects back to (with `code`, or `error`). A page that does not redirect
 * (bad client or redirect URI, wrong password, throttled) throws IdpError with the page's message.
 */
export async function signInAt(authorizeUrl: URL, username: string, password = 'demo'): Promise<URL> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  const early = page.headers.get('location');
  if (early) return new URL(early);
  const html = await page.text();
  if (page.status !== 200) throw new IdpError(page.status, 'authorize_failed', pageMessage(html));
  const login = await submitLogin(page, html, username, password);
  const location = login.headers.get('location');
  if (login.status !== 302 || !location)
    throw new IdpError(login.status, 'login_failed', pageMessage(await login.text()));
  return new URL(location);
}

function pageMessage(html: string): string {
  return (
    (html.match(/role="alert">([^<]*)</) ?? html.match(/<main>.*<p>([^<]*)<\/p><\/main>/s))?.[1] ??
    html.slice(0, 200)
  );
}

/**
 * Signs in as `username` through the real login form and returns the tokens of the code exchange.
 * A refused sign-in throws IdpError (status 401 `login_failed` with the page's message, for example).
 */
export async function loginWithPassword(
  issuer: string,
  username: string,
  password = 'demo',
  opts: LoginOptions = {},
): Promise<LoginTokens> {
  const { verifier, challenge } = pkce();
  const redirectUri = opts.redirectUri ?? `${TEST_RENDERER_ORIGIN}/auth/callback`;
  const state = b64url(randomBytes(12));
  const nonce = opts.nonce ?? b64url(randomBytes(12));
  const q = new URLSearchParams({
    client_id: DESKTOP_CLIENT_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: opts.scope ?? `openid profile email offline_access ${ALL_RESOURCE_SCOPES}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    prompt: 'login',
  });
  if (opts.resource) q.set('resource', opts.resource);
  const back = await signInAt(new URL(`${issuer}/authorize?${q}`), username, password);
  if (back.searchParams.get('state') !== state) throw new Error('the IDP returned a different state');
  const code = back.searchParams.get('code');
  if (!code)
    throw new IdpError(
      400,
      back.searchParams.get('error') ?? 'no_code',
      back.searchParams.get('error_description') ?? back.toString(),
    );
  const tokens = await tokenRequest(issuer, {
    grant_type: 'authorization_code',
    client_id: DESKTOP_CLIENT_ID,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  return tokens as LoginTokens;
}

/** RFC 8693 token exchange as the API's client (`msi-api`): a token for `resource` for the same person. */
export function exchangeToken(
  issuer: string,
  opts: { subjectToken: string; resource: string; scope?: string; clientSecret?: string; clientId?: string },
): Promise<TokenResponse> {
  return tokenRequest(
    issuer,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: opts.subjectToken,
      subject_token_type: TOKEN_TYPE_ACCESS,
      resource: opts.resource,
      scope: opts.scope,
    },
    [opts.clientId ?? API_CLIENT_ID, opts.clientSecret ?? TEST_API_CLIENT_SECRET],
  );
}

/**
 * A token for the MCP server (or other resource) `resource` for `username`, as the API gets one: sign in
 * through the login form, then exchange that token (optionally for a narrower `scope`).
 */
export async function resourceToken(
  issuer: string,
  username: string,
  resource: string,
  scope?: string,
): Promise<string> {
  const login = await loginWithPassword(issuer, username);
  return (await exchangeToken(issuer, { subjectToken: login.access_token, resource, scope })).access_token;
}

/** A service token (no person, no roles) for `resource`, as the API's client. */
export function clientCredentialsToken(
  issuer: string,
  opts: { resource: string; scope?: string; clientSecret?: string; clientId?: string },
): Promise<TokenResponse> {
  return tokenRequest(
    issuer,
    { grant_type: 'client_credentials', resource: opts.resource, scope: opts.scope },
    [opts.clientId ?? API_CLIENT_ID, opts.clientSecret ?? TEST_API_CLIENT_SECRET],
  );
}

/** Uses a refresh token of the desktop client (it rotates: the answer carries the next one). */
export function refresh(
  issuer: string,
  refreshToken: string,
  opts: { scope?: string; clientId?: string } = {},
): Promise<LoginTokens> {
  return tokenRequest(issuer, {
    grant_type: 'refresh_token',
    client_id: opts.clientId ?? DESKTOP_CLIENT_ID,
    refresh_token: refreshToken,
    scope: opts.scope,
  }) as Promise<LoginTokens>;
}
