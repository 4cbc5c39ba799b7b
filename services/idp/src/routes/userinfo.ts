import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';
import { bearerChallenge } from '@msi/kit';
import { splitScope, type Idp } from '../context.js';
import { OAuthError } from '../oauth-error.js';
import { userClaims } from '../tokens.js';

/** `GET|POST /userinfo`: the signed-in person's claims, for an unrevoked access token with scope openid. */
export function userinfoRoutes(app: FastifyInstance, idp: Idp): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const token = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
      if (!token) throw new OAuthError('invalid_request', 'a bearer access token is required', 401);
      const claims = await idp.tokens.checkAccessToken(token, 'invalid_token', 401);
      const scope = splitScope(claims.scope as string);
      if (!scope.includes('openid'))
        throw new OAuthError('insufficient_scope', 'the token lacks scope openid', 403);
      const user = claims.sub === claims.client_id ? undefined : await idp.store.userById(claims.sub ?? '');
      if (!user) throw new OAuthError('invalid_token', 'the token does not name a person', 401);
      const u = userClaims(user);
      return reply.header('Cache-Control', 'no-store').send({
        sub: user.id,
        ...(scope.includes('profile') ? { preferred_username: u.preferred_username, name: u.name } : {}),
        ...(scope.includes('email') ? { email: u.email, email_verified: true } : {}),
        roles: u.roles,
        organizations: u.organizations,
      });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      return reply
        .status(err.status)
        .header('WWW-Authenticate', bearerChallenge(err.error, err.description))
        .send(err.toJSON());
    }
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
