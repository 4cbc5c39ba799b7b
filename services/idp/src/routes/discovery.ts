import type { FastifyInstance } from 'fastify';
import { GRANT } from '../clients.js';
import { OIDC_SCOPES, type Idp } from '../context.js';
import { RSA_ALG, SIGNING_ALG } from '../keys.js';

/** Discovery (OpenID Connect and RFC 8414) and the JWKS. */
export function discoveryRoutes(app: FastifyInstance, idp: Idp): void {
  const iss = idp.cfg.issuer;
  const metadata = {
    issuer: iss,
    authorization_endpoint: `${iss}/authorize`,
    token_endpoint: `${iss}/token`,
    userinfo_endpoint: `${iss}/userinfo`,
    jwks_uri: `${iss}/jwks`,
    revocation_endpoint: `${iss}/revoke`,
    end_session_endpoint: `${iss}/end-session`,
    // MCP hosts sign in without pre-registration (client-registry.ts).
    registration_endpoint: `${iss}/register`,
    client_id_metadata_document_supported: true,
    scopes_supported: [...OIDC_SCOPES, ...new Set([...idp.resources.values()].flat())],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: Object.values(GRANT),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [RSA_ALG, SIGNING_ALG],
    userinfo_signing_alg_values_supported: [],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'sid',
      'preferred_username',
      'name',
      'email',
      'email_verified',
      'roles',
      'organizations',
    ],
    authorization_response_iss_parameter_supported: true,
    prompt_values_supported: ['none', 'login'],
    resource_indicators_supported: true,
    // Not a standard field: where resource servers poll what was revoked (routes/revocations.ts).
    msi_revocations_endpoint: `${iss}/revocations`,
    // Not a standard field: tells the API's production /readyz that this is the demo set-up.
    ...(idp.cfg.IDP_DEMO ? { msi_demo: true } : {}),
  };
  app.get('/.well-known/openid-configuration', async () => metadata);
  app.get('/.well-known/oauth-authorization-server', async () => metadata);
  app.get('/jwks', async (_req, reply) =>
    reply.header('Cache-Control', 'public, max-age=60').send(idp.keys.jwks()),
  );
}
