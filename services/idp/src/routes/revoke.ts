import type { FastifyInstance } from 'fastify';
import { authenticateClient } from '../clients.js';
import { oauthBodyErrors, one, sendOAuthError, type Idp } from '../context.js';
import { OAuthError } from '../oauth-error.js';

/**
 * `POST /revoke` (RFC 7009): a refresh token revokes its whole sign-in (grant); an access token is revoked
 * here (userinfo, token exchange). Only the client a token was issued to can revoke it; unknown tokens
 * answer 200 like known ones.
 */
export function revokeRoutes(app: FastifyInstance, idp: Idp): void {
  app.post('/revoke', { errorHandler: oauthBodyErrors }, async (req, reply) => {
    const p = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    try {
      const client = await authenticateClient(req, p as Record<string, string>, idp.clients);
      const token = one(p, 'token');
      if (!token) throw new OAuthError('invalid_request', 'token is required');
      const grant = await idp.store.refreshTokenGrant(token);
      if (grant) {
        if (grant.clientId === client.id) await idp.store.revokeGrant(grant.id);
      } else if (token.split('.').length === 3) {
        const claims = await idp.tokens.checkAccessToken(token, 'invalid_token').catch(() => undefined);
        if (claims) await idp.store.revokeAccessToken(claims.jti, client.id);
      }
      return reply.header('Cache-Control', 'no-store').send({});
    } catch (err) {
      return sendOAuthError(reply, err, /^Basic\s/i.test(req.headers.authorization ?? ''));
    }
  });
}
