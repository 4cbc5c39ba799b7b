import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_SCOPES as CONTRACT_OIDC_SCOPES, type Logger } from '@msi/kit';
import type { IdpConfig } from './config.js';
import type { ClientRegistry } from './client-registry.js';
import type { KeyStore } from './keys.js';
import type { Store } from './store.js';
import type { TokenIssuer } from './tokens.js';
import { OAuthError } from './oauth-error.js';

/** What every route of the IDP works with. */
export interface Idp {
  cfg: IdpConfig;
  log: Logger;
  store: Store;
  keys: KeyStore;
  tokens: TokenIssuer;
  clients: ClientRegistry;
  /** Audience → the scopes a token for it may carry. */
  resources: Map<string, string[]>;
}

export const OIDC_SCOPES: string[] = [...CONTRACT_OIDC_SCOPES];
export const SESSION_COOKIE = 'msi_idp_session';
export const CSRF_COOKIE = 'msi_idp_csrf';

export function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const raw = part.slice(i + 1).trim();
    // Loopback cookies are shared across ports: another app's value may not be %-encoded (`50%off`).
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(raw);
    } catch {
      out[part.slice(0, i).trim()] = raw;
    }
  }
  return out;
}

export function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): void {
  const cookie = `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  void reply.header('set-cookie', [...list, cookie]);
}

/** Sends an OAuthError as RFC 6749 JSON (with no-store); rethrows anything else. */
export function sendOAuthError(reply: FastifyReply, err: unknown, basicChallenge = false) {
  if (!(err instanceof OAuthError)) throw err;
  if (err.status === 401 && basicChallenge) void reply.header('WWW-Authenticate', 'Basic realm="msi-idp"');
  return reply.status(err.status).header('Cache-Control', 'no-store').send(err.toJSON());
}

/**
 * Route error handler for the token and revocation endpoints: a body Fastify cannot read (malformed JSON,
 * an unsupported content type, over the size limit) is an RFC 6749 `invalid_request`; anything else goes
 * on to the service's error handler.
 */
export function oauthBodyErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (!err.statusCode || err.statusCode < 400 || err.statusCode >= 500) throw err;
  return reply
    .status(400)
    .header('Cache-Control', 'no-store')
    .send({ error: 'invalid_request', error_description: `the request body cannot be read: ${err.message}` });
}

/** A form or query field as one string: missing is undefined; a repeated parameter is an error (RFC 6749 §3.1). */
export function one(params: Record<string, unknown>, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new OAuthError('invalid_request', `${name} must be given once`);
  return v;
}

export function splitScope(s: string | undefined): string[] {
  return [...new Set((s ?? '').split(' ').filter(Boolean))];
}

/**
 * The audience a request names (RFC 8707 `resource`; RFC 8693 also allows `audience`), checked against the
 * configured audiences: anything else is `invalid_target`.
 */
export function targetResource(idp: Idp, params: Record<string, unknown>, fallback?: string): string {
  const raw = params.resource ?? params.audience;
  if (Array.isArray(raw)) throw new OAuthError('invalid_target', 'name one resource per request');
  const resource = typeof raw === 'string' && raw ? raw.replace(/\/+$/, '') : fallback;
  if (!resource)
    throw new OAuthError('invalid_request', 'resource is required (the URL of the service the token is for)');
  if (!idp.resources.has(resource)) {
    throw new OAuthError(
      'invalid_target',
      `resource ${resource} is not a service this provider issues tokens for`,
    );
  }
  return resource;
}
