import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CLIENT_IDS, SCOPES } from '@msi/kit';
import type { IdpConfig } from './config.js';
import { OAuthError } from './oauth-error.js';

export const GRANT = {
  code: 'authorization_code',
  refresh: 'refresh_token',
  clientCredentials: 'client_credentials',
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
} as const;

export const DESKTOP_CLIENT_ID = CLIENT_IDS.desktop;
export const API_CLIENT_ID = CLIENT_IDS.api;

export interface Client {
  id: string;
  /** Shown to the person on the consent page. */
  name: string;
  /** Confidential clients have a secret; public ones authenticate by PKCE alone. */
  secret?: string;
  grants: readonly string[];
  redirectUriOk(uri: string): boolean;
  /** A redirect URI the code goes to without asking the person (the desktop app: the renderer's own origin). */
  trustedRedirect(uri: string): boolean;
  postLogoutRedirectUriOk(uri: string): boolean;
  /** How its ID tokens are signed (default RS256, OpenID Connect's default). */
  idTokenAlg?: 'ES256' | 'RS256';
  /** Not configured here: a dynamically registered client or a Client ID Metadata Document (client-registry.ts). */
  dynamic?: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A redirect URI with an exact path among `paths` and nothing a code could leak into (no user info,
 * query or fragment): the parsed URL, else undefined.
 */
function exactRedirect(uri: string, paths: readonly string[]): URL | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  return !u.username && !u.password && !u.search && !u.hash && paths.includes(u.pathname) ? u : undefined;
}

/** RFC 8252 §7.3: a loopback http redirect on any port, with an exact path (and no query or fragment). */
export function isLoopbackRedirect(uri: string, paths: readonly string[]): boolean {
  const u = exactRedirect(uri, paths);
  return !!u && u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);
}

/**
 * A redirect to one of the renderer's configured origins (ALLOWED_ORIGINS) with an exact path: the
 * renderer served by a deployment's web server over https (docs/topology.md), which RFC 8252's loopback
 * rule does not cover. Only origins the operator listed, so no other site can receive a code.
 */
export function isRendererRedirect(
  uri: string,
  origins: readonly string[],
  paths: readonly string[],
): boolean {
  const u = exactRedirect(uri, paths);
  return !!u && origins.includes(u.origin);
}

/**
 * Whether a URL is on one of the renderer's origins (ALLOWED_ORIGINS). On loopback, another name for the
 * same address and port (`localhost:4200` for `127.0.0.1:4200`) is the same app: nobody else can listen
 * on the renderer's port while it runs, but any local program can listen on any other port.
 */
export function onRendererOrigin(url: string, origins: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return origins.some((o) => {
    const r = new URL(o);
    if (r.origin === u.origin) return true;
    return (
      r.protocol === 'http:' &&
      u.protocol === 'http:' &&
      LOOPBACK_HOSTS.has(r.hostname) &&
      LOOPBACK_HOSTS.has(u.hostname) &&
      r.port === u.port
    );
  });
}

/** The renderer's origins as configured (ALLOWED_ORIGINS), each a bare origin. */
export function rendererOrigins(cfg: IdpConfig): string[] {
  return cfg.ALLOWED_ORIGINS.filter((o) => URL.canParse(o)).map((o) => new URL(o).origin);
}

const LOGOUT_PATHS = ['/', '/auth/callback', '/auth/signed-out'];

export function registeredClients(cfg: IdpConfig): Map<string, Client> {
  const renderer = rendererOrigins(cfg);
  const desktop: Client = {
    id: DESKTOP_CLIENT_ID,
    name: 'MSI Assistant (desktop app)',
    idTokenAlg: 'ES256',
    grants: [GRANT.code, GRANT.refresh],
    // Any loopback port (RFC 8252 §7.3), but only the renderer's own origin gets a code without consent.
    redirectUriOk: (uri) =>
      isLoopbackRedirect(uri, ['/auth/callback']) || isRendererRedirect(uri, renderer, ['/auth/callback']),
    trustedRedirect: (uri) => onRendererOrigin(uri, renderer),
    postLogoutRedirectUriOk: (uri) =>
      isLoopbackRedirect(uri, LOGOUT_PATHS) || isRendererRedirect(uri, renderer, LOGOUT_PATHS),
  };
  const api: Client = {
    id: API_CLIENT_ID,
    name: 'MSI Assistant API',
    secret: cfg.API_CLIENT_SECRET,
    grants: [GRANT.tokenExchange, GRANT.clientCredentials],
    redirectUriOk: () => false,
    trustedRedirect: () => false,
    postLogoutRedirectUriOk: () => false,
  };
  return new Map([desktop, api].map((c) => [c.id, c]));
}

/** The audiences tokens can be issued for, each with the scopes a token for it may carry. */
export function resourceScopes(cfg: IdpConfig): Map<string, string[]> {
  const tickets: string[] = [SCOPES.ticketsRead, SCOPES.ticketsWrite];
  const orgs: string[] = [SCOPES.orgsRead, SCOPES.orgsWrite];
  // An MCP server is also known by its endpoint, `<server>/mcp`: the resource its RFC 9728 metadata
  // names for MCP hosts.
  return new Map([
    [cfg.API_URL, [SCOPES.api] as string[]],
    [cfg.TICKETING_URL, tickets],
    [`${cfg.TICKETING_URL}/mcp`, tickets],
    [cfg.ORGANIZATIONS_URL, orgs],
    [`${cfg.ORGANIZATIONS_URL}/mcp`, orgs],
  ]);
}

const sameSecret = (a: string, b: string) => {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
};

/**
 * Client authentication at the token and revocation endpoints: client_secret_basic, client_secret_post, or
 * `client_id` alone for public clients. Failures are `invalid_client` (401).
 */
export async function authenticateClient(
  req: FastifyRequest,
  body: Record<string, unknown>,
  clients: { get(id: string): Promise<Client | undefined> },
): Promise<Client> {
  // A repeated parameter (an array) or a JSON non-string is a malformed request (RFC 6749 §3.2), not a 500.
  const field = (name: string) => {
    const v = body[name];
    if (v !== undefined && typeof v !== 'string')
      throw new OAuthError('invalid_request', `${name} must be given once, as a string`);
    return v;
  };
  let id = field('client_id');
  let secret = field('client_secret');
  const header = req.headers.authorization;
  if (header?.match(/^Basic\s/i)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'the Basic authorization header is malformed', 401);
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', 'the Basic authorization header is malformed', 401);
    }
    if (body.client_secret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'use one client authentication method, not both Basic and client_secret',
      );
    }
  }
  if (!id)
    throw new OAuthError('invalid_client', 'client authentication is required (client_id is missing)', 401);
  const client = await clients.get(id);
  if (!client) throw new OAuthError('invalid_client', `unknown client ${id}`, 401);
  if (client.secret !== undefined) {
    if (secret === undefined)
      throw new OAuthError('invalid_client', `client ${id} must authenticate with its secret`, 401);
    if (!sameSecret(secret, client.secret))
      throw new OAuthError('invalid_client', `client ${id} failed to authenticate`, 401);
  } else if (secret !== undefined) {
    throw new OAuthError('invalid_client', `client ${id} is a public client and has no secret`, 401);
  }
  return client;
}
