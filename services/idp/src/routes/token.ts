import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SCOPES } from '@msi/kit';
import { API_CLIENT_ID, authenticateClient, GRANT, type Client } from '../clients.js';
import { oauthBodyErrors, one, sendOAuthError, splitScope, targetResource, type Idp } from '../context.js';
import { OAuthError } from '../oauth-error.js';
import { now, randomToken, type Grant } from '../store.js';

export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

type Params = Record<string, unknown>;
const required = (p: Params, name: string) => {
  const v = one(p, name);
  if (!v) throw new OAuthError('invalid_request', `${name} is required`);
  return v;
};

/** `POST /token`: authorization_code, refresh_token, client_credentials, token exchange (RFC 8693). */
export function tokenRoutes(app: FastifyInstance, idp: Idp): void {
  /** Requested scopes ∩ what the target offers; none left is `invalid_scope`. */
  const narrow = (requested: string | undefined, offered: string[], target: string) => {
    if (requested === undefined) return offered;
    const scope = splitScope(requested).filter((s) => offered.includes(s));
    if (scope.length === 0) {
      throw new OAuthError(
        'invalid_scope',
        `none of the requested scopes (${requested}) is offered for ${target} (offered: ${offered.join(' ')})`,
      );
    }
    return scope;
  };

  /**
   * Tokens for a person's grant: access token, rotated refresh token (offline_access), id_token (openid),
   * recorded in one transaction with the refresh token `spend` used up (refresh_token grant); `reused` is
   * what to throw when that one turns out to be used already (a concurrent request was first).
   */
  const personTokens = async (
    grant: Grant,
    scope: string[],
    nonce?: string | null,
    spend?: { token: string; reused: () => Promise<Error> },
  ) => {
    const user = await idp.store.userById(grant.userId);
    if (!user) throw new OAuthError('invalid_grant', 'the person this grant was made for no longer exists');
    const access = await idp.tokens.signAccessToken({
      user,
      clientId: grant.clientId,
      audience: grant.resource,
      scope: scope.join(' '),
      grantId: grant.id,
      ttl: idp.cfg.IDP_ACCESS_TOKEN_TTL,
    });
    const refresh = scope.includes('offline_access') ? randomToken() : undefined;
    const idToken = scope.includes('openid')
      ? await idp.tokens.idToken({
          alg: (await idp.clients.get(grant.clientId))?.idTokenAlg ?? 'RS256',
          user,
          clientId: grant.clientId,
          nonce,
          authTime: grant.authTime,
          sid: grant.sessionHash ?? undefined,
          scope,
        })
      : undefined;
    const recorded = await idp.store.issueTokens({
      accessTokens: [access.issued],
      ...(refresh
        ? { refreshToken: { token: refresh, grantId: grant.id, ttl: idp.cfg.IDP_REFRESH_TOKEN_TTL } }
        : {}),
      ...(spend ? { spendRefreshToken: spend.token } : {}),
    });
    if (!recorded) throw await spend!.reused();
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: scope.join(' '),
      ...(refresh ? { refresh_token: refresh } : {}),
      ...(idToken ? { id_token: idToken } : {}),
    };
  };

  const authorizationCode = async (client: Client, p: Params) => {
    const code = required(p, 'code');
    const redirectUri = required(p, 'redirect_uri');
    const verifier = one(p, 'code_verifier');
    const c = await idp.store.takeCode(code);
    if (!c || c.grant.clientId !== client.id)
      throw new OAuthError('invalid_grant', 'the authorization code is unknown');
    if (c.usedAt !== null) {
      await idp.store.revokeGrant(c.grant.id);
      idp.log.warn({ client: client.id }, 'authorization code replayed; its grant is revoked');
      throw new OAuthError(
        'invalid_grant',
        'the authorization code was already used; the tokens it gave are revoked',
      );
    }
    if (c.expiresAt <= now()) throw new OAuthError('invalid_grant', 'the authorization code has expired');
    if (c.grant.revokedAt !== null)
      throw new OAuthError('invalid_grant', 'the sign-in this code came from has ended');
    if (redirectUri !== c.redirectUri) {
      throw new OAuthError(
        'invalid_grant',
        'redirect_uri does not match the one of the authorization request',
      );
    }
    const resource = one(p, 'resource');
    if (resource !== undefined && resource.replace(/\/+$/, '') !== c.grant.resource) {
      throw new OAuthError('invalid_target', `this code is for ${c.grant.resource}, not ${resource}`);
    }
    if (!verifier) throw new OAuthError('invalid_grant', 'PKCE is required: code_verifier is missing');
    if (!VERIFIER.test(verifier))
      throw new OAuthError('invalid_grant', 'code_verifier must be 43-128 characters of base64url');
    if (createHash('sha256').update(verifier).digest('base64url') !== c.codeChallenge) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    return personTokens(c.grant, splitScope(c.grant.scope), c.nonce);
  };

  /** Refreshes only a request that is good in every part: a refused one leaves its refresh token usable. */
  const refreshToken = async (client: Client, p: Params) => {
    const token = required(p, 'refresh_token');
    const r = await idp.store.refreshToken(token);
    if (!r || r.grant.clientId !== client.id)
      throw new OAuthError('invalid_grant', 'the refresh token is unknown');
    if (r.grant.revokedAt !== null)
      throw new OAuthError('invalid_grant', 'the refresh token has been revoked');
    const reused = async () => {
      await idp.store.revokeGrant(r.grant.id);
      idp.log.warn({ client: client.id }, 'refresh token reused; its family is revoked');
      return new OAuthError(
        'invalid_grant',
        'the refresh token was already used; every token of this sign-in is revoked',
      );
    };
    if (r.usedAt !== null) throw await reused();
    if (r.expiresAt <= now()) throw new OAuthError('invalid_grant', 'the refresh token has expired');
    const resource = one(p, 'resource');
    if (resource !== undefined && resource.replace(/\/+$/, '') !== r.grant.resource) {
      throw new OAuthError(
        'invalid_target',
        `this refresh token is for ${r.grant.resource}, not ${resource}`,
      );
    }
    const granted = splitScope(r.grant.scope);
    const asked = one(p, 'scope');
    const scope = asked === undefined ? granted : splitScope(asked);
    const extra = scope.filter((s) => !granted.includes(s));
    if (extra.length)
      throw new OAuthError('invalid_scope', `scope ${extra.join(' ')} was not granted to this sign-in`);
    if (scope.length === 0) throw new OAuthError('invalid_scope', 'scope must name at least one scope');
    return personTokens(r.grant, scope, undefined, { token, reused });
  };

  const clientCredentials = async (client: Client, p: Params) => {
    const resource = targetResource(idp, p);
    const scope = narrow(one(p, 'scope'), idp.resources.get(resource)!, resource);
    const access = await idp.tokens.accessToken({
      clientId: client.id,
      audience: resource,
      scope: scope.join(' '),
      grantId: null,
      ttl: idp.cfg.IDP_EXCHANGED_TOKEN_TTL,
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: scope.join(' '),
    };
  };

  const tokenExchange = async (client: Client, p: Params) => {
    const subjectToken = required(p, 'subject_token');
    const subjectType = required(p, 'subject_token_type');
    if (subjectType !== TOKEN_TYPE_ACCESS) {
      throw new OAuthError('invalid_request', `subject_token_type must be ${TOKEN_TYPE_ACCESS}`);
    }
    const wanted = one(p, 'requested_token_type');
    if (wanted !== undefined && wanted !== TOKEN_TYPE_ACCESS && wanted !== TOKEN_TYPE_JWT) {
      throw new OAuthError('invalid_request', `requested_token_type must be ${TOKEN_TYPE_ACCESS}`);
    }
    if (one(p, 'actor_token') !== undefined)
      throw new OAuthError('invalid_request', 'actor_token is not supported');
    const resource = targetResource(idp, p);
    const subject = await idp.tokens.checkAccessToken(subjectToken, 'invalid_grant');
    if (subject.aud !== idp.cfg.API_URL || !splitScope(subject.scope as string).includes(SCOPES.api)) {
      throw new OAuthError(
        'invalid_grant',
        `the subject token must be an access token for ${idp.cfg.API_URL} with scope api`,
      );
    }
    const user =
      typeof subject.sub === 'string' && subject.sub !== subject.client_id
        ? await idp.store.userById(subject.sub)
        : undefined;
    if (!user) throw new OAuthError('invalid_grant', 'the subject token does not name a person');
    const scope = narrow(one(p, 'scope'), idp.resources.get(resource)!, resource);
    const access = await idp.tokens.accessToken({
      user,
      clientId: client.id,
      audience: resource,
      scope: scope.join(' '),
      grantId: (await idp.store.activeAccessToken(subject.jti))?.grantId ?? null,
      ttl: Math.min(idp.cfg.IDP_EXCHANGED_TOKEN_TTL, Math.max(1, (subject.exp ?? 0) - now())),
      act: { sub: client.id },
    });
    return {
      access_token: access.token,
      issued_token_type: TOKEN_TYPE_ACCESS,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: scope.join(' '),
    };
  };

  const handlers: Record<string, (client: Client, p: Params) => Promise<object>> = {
    [GRANT.code]: authorizationCode,
    [GRANT.refresh]: refreshToken,
    [GRANT.clientCredentials]: clientCredentials,
    [GRANT.tokenExchange]: tokenExchange,
  };

  app.post('/token', { errorHandler: oauthBodyErrors }, async (req: FastifyRequest, reply) => {
    const p = (req.body && typeof req.body === 'object' ? req.body : {}) as Params;
    const usedBasic = /^Basic\s/i.test(req.headers.authorization ?? '');
    try {
      const grantType = required(p, 'grant_type');
      const client = await authenticateClient(req, p as Record<string, string>, idp.clients);
      const handler = handlers[grantType];
      if (!handler)
        throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
      if (!client.grants.includes(grantType)) {
        throw new OAuthError(
          'unauthorized_client',
          grantType === GRANT.tokenExchange
            ? `client ${client.id} may not exchange tokens (only ${API_CLIENT_ID} may)`
            : `client ${client.id} may not use grant_type ${grantType}`,
        );
      }
      const body = await handler(client, p);
      return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(body);
    } catch (err) {
      return sendOAuthError(reply, err, usedBasic);
    }
  });
}
