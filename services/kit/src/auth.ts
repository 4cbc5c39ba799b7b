import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ASYMMETRIC_ALGORITHMS,
  claimAt,
  DEFAULT_ALGORITHMS,
  DEFAULT_CLAIMS,
  type ClaimMapping,
} from './identity.js';
import type { Logger } from './log.js';
import { ROLES, type Principal, type Role } from './principal.js';
import { createRevocationFeed, type RevocationFeed, type Revoked } from './revocations.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export class TokenError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_token' | 'insufficient_scope' = 'invalid_token',
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenVerifierOptions {
  issuer: string;
  /**
   * The audience this resource server accepts: its own resource URL (the first), and other names of the
   * same resource (an MCP server's `/mcp` endpoint URL, RFC 9728 §3.3).
   */
  audience: string | string[];
  /** Skips discovery when given. */
  jwksUri?: string;
  /** Accepted JWS algorithms (default RS256, PS256, ES256); symmetric ones are dropped. */
  algorithms?: string[];
  /** Where the person's username, roles, organizations and scopes are in the token (default: ours). */
  claims?: ClaimMapping;
  clockToleranceSeconds?: number;
  /** Minimum time between JWKS refetches on an unknown `kid` (ms). */
  jwksCooldownMs?: number;
  /**
   * How often the issuer's revocation feed is polled (ms; REVOCATION_POLL_MS): tokens of a sign-in that
   * ended, or revoked themselves, are refused from the next poll on. 0: never (the token's lifetime is
   * the window). Only issuers whose discovery names `msi_revocations_endpoint` (ours) have a feed.
   */
  revocationPollMs?: number;
  /** The feed's URL, when discovery is skipped (`jwksUri` given). */
  revocationsUri?: string;
  /** Where an unreachable feed is reported. */
  log?: Pick<Logger, 'warn' | 'info'>;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** Called with the sign-ins and tokens each poll of the revocation feed newly brought. */
  onRevoked?(listener: (r: Revoked) => void): void;
  /** Stops polling the revocation feed. */
  close?(): void;
}

/** Polled every 2 s unless configured otherwise. */
export const DEFAULT_REVOCATION_POLL_MS = 2000;

/**
 * jose, loaded when a token is first signed or checked rather than at start-up (a health check does not
 * need it; DESIGN: what start-up does not need is fetched on first use).
 */
let joseModule: Promise<typeof import('jose')> | undefined;
export const loadJose = () => (joseModule ??= import('jose'));

/** Only asymmetric algorithms: never `none`, never HS* (which would accept a public key as a secret). */
export const ALLOWED_ALGORITHMS: readonly string[] = ASYMMETRIC_ALGORITHMS;

/**
 * Verifies bearer JWTs for a resource server against the issuer's JWKS: signature (remote JWKS, cached,
 * refetched on an unknown `kid`), issuer, audience, expiry with a small clock tolerance, algorithm
 * allowlist. The JWKS URL comes from the issuer's discovery document on first use.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const algorithms = (opts.algorithms ?? DEFAULT_ALGORITHMS).filter((a) => ALLOWED_ALGORITHMS.includes(a));
  if (!algorithms.length) throw new Error('a token verifier needs at least one asymmetric algorithm');
  const claims = opts.claims ?? DEFAULT_CLAIMS;
  /** The issuer exactly as the provider spells it (Auth0's ends with a slash; our config drops it). */
  let exactIssuer = opts.issuer;
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const pollMs = opts.revocationPollMs ?? DEFAULT_REVOCATION_POLL_MS;
  let feed: RevocationFeed | undefined;
  const revokedListeners: ((r: Revoked) => void)[] = [];
  let closed = false;

  const getKeySet = () => {
    keySet ??= (async () => {
      const [found, { createRemoteJWKSet }] = await Promise.all([
        opts.jwksUri
          ? { jwksUri: opts.jwksUri, issuer: opts.issuer, revocationsUri: opts.revocationsUri }
          : discover(opts.issuer),
        loadJose(),
      ]);
      exactIssuer = found.issuer;
      const feedUrl = opts.revocationsUri ?? found.revocationsUri;
      if (feedUrl && pollMs > 0 && !feed && !closed) {
        feed = createRevocationFeed({ url: feedUrl, pollMs, log: opts.log });
        for (const l of revokedListeners) feed.onRevoked(l);
      }
      return createRemoteJWKSet(new URL(found.jwksUri), {
        cooldownDuration: opts.jwksCooldownMs ?? 1000,
        cacheMaxAge: 10 * 60 * 1000,
        timeoutDuration: 5000,
      });
    })();
    keySet.catch(() => (keySet = undefined));
    return keySet;
  };

  return {
    async verify(token: string) {
      if (!token || token.split('.').length !== 3) throw new TokenError('the bearer token is not a JWT');
      const keys = await getKeySet().catch((err: Error) => {
        throw new TokenError(`cannot reach the issuer to check the token: ${err.message}`);
      });
      const jose = await loadJose();
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, keys, {
          issuer: exactIssuer,
          audience: opts.audience,
          algorithms,
          clockTolerance: opts.clockToleranceSeconds ?? 5,
          requiredClaims: ['exp', 'iat', 'sub'],
        }));
      } catch (err) {
        throw new TokenError(describeJoseError(jose.errors, err));
      }
      if (feed) {
        await feed.fresh();
        const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
        const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
        if (feed.isRevoked(sid, jti)) throw new TokenError('the token was revoked (signed out)');
      }
      return principalFromClaims(payload, ([] as string[]).concat(opts.audience)[0]!, claims);
    },
    onRevoked(listener) {
      revokedListeners.push(listener);
      feed?.onRevoked(listener);
    },
    close() {
      closed = true;
      feed?.close();
    },
  };
}

/** The same issuer, but for a trailing slash (which env.url drops from IDP_ISSUER). */
export function sameIssuer(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The JWKS URL from the issuer's discovery document, which must name this very issuer (OIDC Discovery §4.3). */
async function discover(
  issuer: string,
): Promise<{ jwksUri: string; issuer: string; revocationsUri?: string | undefined }> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  const doc = (await res.json()) as {
    issuer?: string;
    jwks_uri?: string;
    msi_revocations_endpoint?: string;
  };
  if (!sameIssuer(doc.issuer, issuer))
    throw new Error(`discovery names issuer ${doc.issuer}, expected ${issuer}`);
  if (!doc.jwks_uri) throw new Error('discovery has no jwks_uri');
  // Our IDP's revocation feed (not a standard field); another provider has none.
  const feed = doc.msi_revocations_endpoint;
  return {
    jwksUri: doc.jwks_uri,
    issuer: doc.issuer!,
    ...(typeof feed === 'string' && URL.canParse(feed) ? { revocationsUri: feed } : {}),
  };
}

function describeJoseError(joseErrors: typeof import('jose').errors, err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the token is not meant for this service (wrong audience)';
    if (err.claim === 'iss') return 'the token was not issued by the trusted issuer';
    return `the token's ${err.claim} claim is invalid: ${err.reason}`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token uses an algorithm that is not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the token was signed with an unknown key';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid)
    return 'the token is malformed';
  return `the token could not be verified: ${(err as Error).message}`;
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  return [];
}

/**
 * The person (or service) a verified token names, read through the deployment's claim mapping: roles
 * mapped onto ours (others ignored), organizations filtered by their prefix. `client_id` (RFC 9068), else
 * `azp` (Keycloak, Okta), is the client.
 */
export function principalFromClaims(
  c: JWTPayload,
  audience: string,
  mapping: ClaimMapping = DEFAULT_CLAIMS,
): Principal {
  const clientId = typeof c.client_id === 'string' ? c.client_id : typeof c.azp === 'string' ? c.azp : '';
  const known = ROLES as readonly string[];
  const roles = [
    ...new Set(
      strings(claimAt(c, mapping.roles))
        .map((r) => mapping.roleMap[r] ?? r)
        .filter((r): r is Role => known.includes(r)),
    ),
  ];
  const prefix = mapping.organizationsPrefix;
  const organizations = strings(claimAt(c, mapping.organizations)).flatMap((o) =>
    !prefix ? [o] : o.startsWith(prefix) && o.length > prefix.length ? [o.slice(prefix.length)] : [],
  );
  const name = claimAt(c, mapping.username);
  const hasUsername = typeof name === 'string' && name !== '';
  const username = hasUsername ? name : (c.sub ?? '');
  return {
    sub: c.sub ?? '',
    username,
    ...(typeof c.name === 'string' ? { name: c.name } : {}),
    ...(typeof c.email === 'string' ? { email: c.email } : {}),
    roles,
    organizations,
    scopes: strings(claimAt(c, mapping.scope)),
    clientId,
    audience,
    ...(typeof c.jti === 'string' ? { jti: c.jti } : {}),
    ...(typeof c.sid === 'string' ? { sid: c.sid } : {}),
    expiresAt: c.exp ?? 0,
    isService: c.sub === clientId && !hasUsername,
  };
}

export interface BearerOptions {
  /** URL of this server's RFC 9728 metadata, named in `WWW-Authenticate` on 401. */
  resourceMetadataUrl?: string;
  /** Scopes every request needs. */
  requiredScopes?: string[];
}

/** `WWW-Authenticate` value for a 401/403. */
export function bearerChallenge(
  error: string,
  description: string,
  resourceMetadataUrl?: string,
  scope?: string,
) {
  // RFC 6750 §3.1: a request that sent no token gets no error code, only where to get one (error '').
  const parts = error ? [`error="${error}"`, `error_description="${description.replace(/"/g, "'")}"`] : [];
  if (scope) parts.push(`scope="${scope}"`);
  if (resourceMetadataUrl) parts.push(`resource_metadata="${resourceMetadataUrl}"`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * A Fastify preHandler that requires a valid bearer token and sets `request.principal`.
 * Missing/invalid: 401 with `WWW-Authenticate`; missing a required scope: 403 `insufficient_scope`.
 */
export function requireBearer(verifier: TokenVerifier, opts: BearerOptions = {}) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match) {
      return reply
        .status(401)
        .header(
          'WWW-Authenticate',
          bearerChallenge(
            '',
            'a bearer token is required',
            opts.resourceMetadataUrl,
            opts.requiredScopes?.join(' ') || undefined,
          ),
        )
        .send({ error: 'unauthorized', message: 'a bearer token is required (Authorization: Bearer …)' });
    }
    try {
      req.principal = await verifier.verify(match[1]!);
    } catch (err) {
      const message = err instanceof TokenError ? err.message : 'the token could not be verified';
      return reply
        .status(401)
        .header('WWW-Authenticate', bearerChallenge('invalid_token', message, opts.resourceMetadataUrl))
        .send({ error: 'invalid_token', message });
    }
    const missing = (opts.requiredScopes ?? []).filter((s) => !req.principal!.scopes.includes(s));
    if (missing.length) {
      // The challenge names every scope the request needs, not only the missing one: a client that
      // re-authorizes with exactly what it is told must not lose what it had.
      return insufficientScope(
        reply,
        `the token lacks scope ${missing.join(' ')}`,
        (opts.requiredScopes ?? []).join(' '),
        opts.resourceMetadataUrl,
      );
    }
  };
}

/** 403 `insufficient_scope` with its `WWW-Authenticate` challenge (RFC 6750 §3.1). */
export function insufficientScope(
  reply: FastifyReply,
  message: string,
  scope: string,
  resourceMetadataUrl?: string,
) {
  return reply
    .status(403)
    .header('WWW-Authenticate', bearerChallenge('insufficient_scope', message, resourceMetadataUrl, scope))
    .send({ error: 'insufficient_scope', message });
}
