/**
 * Who is calling: a bearer JWT from our IDP whose audience is this API (PUBLIC_URL) with scope `api`,
 * issued to a person. A token meant for an MCP server (another audience) is refused.
 */
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import {
  bearerChallenge,
  createTokenVerifier,
  requireBearer,
  SCOPES,
  type TokenVerifier,
  type TokenVerifierOptions,
  type verifierIdentity,
} from '@msi/kit';

/** The API's own tokens: from `issuer` only, for `audience`, read through the deployment's claim mapping. */
export function apiVerifier(
  issuer: string,
  audience: string,
  identity?: Partial<ReturnType<typeof verifierIdentity>> & Pick<TokenVerifierOptions, 'log'>,
): TokenVerifier {
  return createTokenVerifier({ issuer, audience, ...identity });
}

/** The preHandlers every /api route runs: a valid token for this API, held by a person. */
export function requirePerson(verifier: TokenVerifier): preHandlerHookHandler[] {
  const bearer = requireBearer(verifier, { requiredScopes: [SCOPES.api] });
  const person = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.principal?.isService) {
      const message = 'this API acts for a signed-in person; a service token cannot use it';
      return reply
        .status(401)
        .header('WWW-Authenticate', bearerChallenge('invalid_token', message))
        .send({ error: 'invalid_token', message });
    }
  };
  return [bearer as preHandlerHookHandler, person as preHandlerHookHandler];
}

/** The caller's own bearer token (only ever used as the subject of a token exchange). */
export function bearerToken(req: FastifyRequest): string {
  return req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '';
}
