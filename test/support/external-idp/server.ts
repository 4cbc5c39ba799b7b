/**
 * A third-party OpenID provider for tests: panva's `oidc-provider` 8 (OpenID Certified), configured the
 * way a production deployment configures its identity provider, so the tests prove our parts need
 * nothing of our own IDP. Run as a process by test/support/external-idp.ts:
 *
 *   PORT=9500 API_URL=… TICKETING_URL=… ORGANIZATIONS_URL=… API_CLIENT_SECRET=… \
 *     node --import tsx test/support/external-idp/server.ts
 *
 * - Its own login and consent interactions (no devInteractions): a login form (Username, Password,
 *   "Sign in") for the demo people; the desktop app is first-party, so its consent is given without a page.
 * - Keycloak-shaped claims: realm roles `msi-<role>` at `realm_access.roles` (with Keycloak's default
 *   roles next to them), organizations as groups `/organizations/<slug>`; the subject is an opaque id.
 * - Resource indicators (RFC 8707) with JWT access tokens (RFC 9068), each resource with its own
 *   algorithm: the API PS256, ticketing ES256, organizations RS256; ID tokens RS256.
 * - Refresh tokens rotate on every use (a reused one revokes the grant); revocation; RP-initiated logout
 *   with the provider's own confirmation page.
 * - Token exchange (RFC 8693) registered with `registerGrantType`, for the API's confidential client only:
 *   the subject token must be a live access token of this issuer for the API; the target is named by
 *   `resource` or by `audience` (the servers' logical audiences `msi-ticketing`, `msi-organizations`
 *   when LOGICAL_AUDIENCES=true, as Keycloak names clients).
 *
 * Environment: PORT, API_URL, TICKETING_URL, ORGANIZATIONS_URL, API_CLIENT_SECRET, RENDERER_ORIGINS
 * (comma-separated; their /auth/callback and /auth/signed-out are registered), LOGICAL_AUDIENCES,
 * ACCESS_TOKEN_TTL (seconds, default 300).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { DEMO_PASSWORD, DEMO_USERS, type DemoUser } from '../../../services/kit/src/demo.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`external-idp: ${name} must be set\n`);
    process.exit(78);
  }
  return v.replace(/\/+$/, '');
};

const port = Number(process.env.PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const apiUrl = need('API_URL');
const ticketingUrl = need('TICKETING_URL');
const organizationsUrl = need('ORGANIZATIONS_URL');
const apiSecret = need('API_CLIENT_SECRET');
const rendererOrigins = (process.env.RENDERER_ORIGINS ?? 'http://127.0.0.1:1')
  .split(',')
  .map((o) => o.trim().replace(/\/+$/, ''))
  .filter(Boolean);
const logical = process.env.LOGICAL_AUDIENCES === 'true';
const accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL ?? 300);

/** The subject the provider gives each person: opaque and stable, not the username. */
const subjectOf = (u: DemoUser) => `f:${Buffer.from(`msi:${u.username}`).toString('base64url')}`;
const bySubject = new Map(DEMO_USERS.map((u) => [subjectOf(u), u]));

/** The person's claims as a Keycloak realm gives them (roles with the realm's own defaults, groups). */
function personClaims(u: DemoUser) {
  return {
    preferred_username: u.username,
    name: u.name,
    email: u.email,
    email_verified: true,
    realm_access: { roles: [`msi-${u.role}`, 'offline_access', 'default-roles-msi'] },
    groups: [...u.organizations.map((o) => `/organizations/${o}`), '/staff-newsletter'],
  };
}

// Signing keys made at start: one RSA key (RS256 and PS256) and one P-256 key (ES256).
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const kidSuffix = randomBytes(4).toString('hex');
const privateJwks = [
  { ...rsa, kid: `rsa-${kidSuffix}`, use: 'sig' },
  { ...ec, kid: `ec-${kidSuffix}`, use: 'sig' },
] as JWK[];
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi']);
const publicJwks = privateJwks.map(
  (k) => Object.fromEntries(Object.entries(k).filter(([n]) => !PRIVATE_MEMBERS.has(n))) as JWK,
);
const ownKeys = createLocalJWKSet({ keys: publicJwks });

interface ResourceServerDef {
  indicator: string;
  audience: string;
  scope: string;
  alg: 'PS256' | 'ES256' | 'RS256';
  /** Clients that may ask for it. */
  clients: string[];
}
const RESOURCES: ResourceServerDef[] = [
  { indicator: apiUrl, audience: apiUrl, scope: 'api', alg: 'PS256', clients: ['msi-desktop'] },
  {
    indicator: ticketingUrl,
    audience: logical ? 'msi-ticketing' : ticketingUrl,
    scope: 'tickets:read tickets:write',
    alg: 'ES256',
    clients: ['msi-api'],
  },
  {
    indicator: organizationsUrl,
    audience: logical ? 'msi-organizations' : organizationsUrl,
    scope: 'orgs:read orgs:write',
    alg: 'RS256',
    clients: ['msi-api'],
  },
];

function resourceServer(indicator: string, clientId: string) {
  const rs = RESOURCES.find((r) => r.indicator === indicator);
  if (!rs || !rs.clients.includes(clientId))
    throw new errors.InvalidTarget(`${clientId} may not ask for a token for ${indicator}`);
  return {
    scope: rs.scope,
    audience: rs.audience,
    accessTokenTTL: accessTokenTtl,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: rs.alg } },
  };
}

const configuration: Configuration = {
  clients: [
    {
      client_id: 'msi-desktop',
      client_name: 'MSI Assistant Desktop',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: rendererOrigins.map((o) => `${o}/auth/callback`),
      post_logout_redirect_uris: rendererOrigins.map((o) => `${o}/auth/signed-out`),
    },
    {
      client_id: 'msi-api',
      client_secret: apiSecret,
      client_name: 'MSI Assistant API',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials', TOKEN_EXCHANGE],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: privateJwks },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  async findAccount(_ctx, sub) {
    const u = bySubject.get(sub);
    if (!u) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...personClaims(u) }) };
  },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  // Profile claims in the ID token too (the app shows the name from it before the API answers).
  conformIdTokenClaims: false,
  // The person's roles and groups in every access token about them, as Keycloak's mappers put them.
  async extraTokenClaims(_ctx, token) {
    const sub = (token as { accountId?: string }).accountId;
    const u = sub ? bySubject.get(sub) : undefined;
    if (!u) return undefined;
    const { preferred_username, name, email, realm_access, groups } = personClaims(u);
    const act = (token as { gty?: string }).gty === 'token-exchange' ? { act: { sub: 'msi-api' } } : {};
    return { preferred_username, name, email, realm_access, groups, ...act };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No default: a request without `resource` gets what oidc-provider gives (a userinfo token).
      defaultResource: async (_ctx, _client, oneOf) => oneOf as string[],
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator, client) => resourceServer(indicator, client.clientId),
    },
  },
  // Every first-party refresh token is issued (Keycloak does the same) and rotates on use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  pkce: { methods: ['S256'], required: () => true },
  ttl: { AccessToken: accessTokenTtl, IdToken: 3600, RefreshToken: 8 * 3600, Session: 8 * 3600 },
  clientBasedCORS: (_ctx, origin) => rendererOrigins.includes(origin),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page(
      'Sign-in error',
      `<p role="alert">${esc(String(out.error_description ?? out.error))}</p>`,
    );
  },
};

const provider = new Provider(issuer, configuration);

/** RFC 8693, for the API's client: the same person, a token for one MCP server, its scopes narrowed. */
provider.registerGrantType(
  TOKEN_EXCHANGE,
  async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    const params = ctx.oidc.params as Record<string, string | string[] | undefined>;
    const client = ctx.oidc.client!;
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    const one = (v: string | string[] | undefined, name: string) => {
      if (Array.isArray(v)) throw new errors.InvalidTarget(`only one ${name} may be given`);
      return v;
    };
    const resource = one(params.resource, 'resource');
    const audience = one(params.audience, 'audience');
    const indicator = resource ?? RESOURCES.find((r) => r.audience === audience)?.indicator;
    if (!indicator) throw new errors.InvalidTarget('name the target with resource or audience');
    const info = resourceServer(indicator, client.clientId);

    let sub: string;
    try {
      const { payload } = await jwtVerify(String(params.subject_token ?? ''), ownKeys, {
        issuer,
        audience: apiUrl,
        typ: 'at+jwt',
      });
      sub = String(payload.sub);
    } catch (err) {
      throw new errors.InvalidGrant(
        `subject_token is not a live access token for the API (${(err as Error).message})`,
      );
    }
    const account = await provider.Account.findAccount(ctx, sub);
    if (!account) throw new errors.InvalidGrant('the subject is not a known person');

    const offered = info.scope.split(' ');
    const asked = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : offered;
    const scope = asked.filter((s) => offered.includes(s));
    if (!scope.length)
      throw new errors.InvalidScope(
        'none of the requested scopes is offered by the target',
        String(params.scope),
      );

    // Not part of the person's grant (the exchange has none): its own short-lived token, like Keycloak's.
    const at = new provider.AccessToken({
      accountId: sub,
      client,
      gty: 'token-exchange',
      scope: scope.join(' '),
    } as ConstructorParameters<typeof provider.AccessToken>[0]);
    // The ResourceServer model is on the provider but not in @types/oidc-provider 8.
    const { ResourceServer } = provider as unknown as {
      ResourceServer: new (indicator: string, info: object) => NonNullable<typeof at.resourceServer>;
    };
    at.resourceServer = new ResourceServer(indicator, info);
    const value = await at.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: at.expiration,
      scope: at.scope,
    };
    await next();
  },
  ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type'],
  ['audience', 'resource'],
);

// --- the interactions: login form, first-party consent ---

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid: string, clientName: string, error?: string): string {
  return page(
    `Sign in to ${clientName}`,
    `${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="username">Username</label> <input id="username" name="username" required autofocus>
<label for="password">Password</label> <input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>`,
  );
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(raw);
}

function send(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action?: string) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid)
    return send(res, 400, page('Sign-in error', '<p role="alert">This sign-in has expired.</p>'));
  const client = await provider.Client.find(String(details.params.client_id));
  const clientName = client?.clientName ?? String(details.params.client_id);
  const prompt = details.prompt;

  if (prompt.name === 'login') {
    if (req.method === 'GET') return send(res, 200, loginPage(uid, clientName));
    if (action !== 'login' || req.method !== 'POST') return send(res, 405, page('Not allowed', ''));
    const form = await formBody(req);
    const user = DEMO_USERS.find((u) => u.username === form.get('username'));
    if (!user || form.get('password') !== DEMO_PASSWORD)
      return send(res, 401, loginPage(uid, clientName, 'The username or password is wrong.'));
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: subjectOf(user) } },
      {
        mergeWithLastSubmission: false,
      },
    );
  }

  if (prompt.name === 'consent') {
    // The desktop app is the deployment's own client: consent is not asked (Keycloak's "Consent required: off").
    if (details.params.client_id !== 'msi-desktop')
      return send(res, 403, page('Sign-in error', '<p role="alert">Only the desktop app signs in here.</p>'));
    const d = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId: 'msi-desktop' });
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      {
        mergeWithLastSubmission: true,
      },
    );
  }
  return send(res, 400, page('Sign-in error', `<p role="alert">Unknown step ${esc(prompt.name)}.</p>`));
}

const callback = provider.callback();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  const m = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login))?$/);
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"status":"ok"}');
  }
  if (!m) return callback(req, res);
  interaction(req, res, m[1]!, m[2]).catch((err: Error) => {
    if (!res.headersSent) send(res, 400, page('Sign-in error', `<p role="alert">${esc(err.message)}</p>`));
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`external-idp listening ${issuer}\n`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
