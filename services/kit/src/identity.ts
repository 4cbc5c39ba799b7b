/**
 * Which identity provider a service trusts and how it reads a person out of a token: the claims that hold
 * the username, the roles and the organizations (a dotted path per deployment, e.g. Keycloak's realm roles
 * at `realm_access.roles`), how external role names map onto ours, the signature algorithms, the audience.
 * The same variables at the API and both MCP servers (docs/identity-providers.md).
 */
import { ConfigError, env, type ConfigOf } from './config.js';
import { ROLES, type Role } from './principal.js';

/** Asymmetric JWS algorithms a verifier may be configured with (never `none`, never HS*). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
/** The default allowlist: what OpenID providers sign with (RS256 is OIDC's required one). */
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256'];

export interface ClaimMapping {
  /** Claim (or dotted path) holding the username; the subject when it is absent. */
  username: string;
  /** Claim (or dotted path) holding the roles: an array or a space-separated string. */
  roles: string;
  /** Claim (or dotted path) holding the organizations. */
  organizations: string;
  /**
   * Only values starting with this prefix are organizations, without it (groups such as
   * `/organizations/dallas-police` with prefix `/organizations/`). Empty: every value.
   */
  organizationsPrefix: string;
  /** Claim (or dotted path) holding the granted scopes (`scope`; Okta's `scp` is an array). */
  scope: string;
  /** External role name → our role (`msi-agent` → `agent`); names that are ours already map to themselves. */
  roleMap: Record<string, Role>;
}

export const DEFAULT_CLAIMS: ClaimMapping = {
  username: 'preferred_username',
  roles: 'roles',
  organizations: 'organizations',
  organizationsPrefix: '',
  scope: 'scope',
  roleMap: {},
};

/** The variables every resource server (the API, the MCP servers) reads about its identity provider. */
export function identitySpec() {
  return {
    IDP_USERNAME_CLAIM: env.string(DEFAULT_CLAIMS.username),
    IDP_ROLES_CLAIM: env.string(DEFAULT_CLAIMS.roles),
    IDP_ORGANIZATIONS_CLAIM: env.string(DEFAULT_CLAIMS.organizations),
    IDP_ORGANIZATIONS_PREFIX: env.optionalString(),
    IDP_SCOPE_CLAIM: env.string(DEFAULT_CLAIMS.scope),
    /** `external=role` pairs, comma-separated: `msi-agent=agent,msi-admin=admin`. */
    IDP_ROLE_MAP: env.list([]),
    /** The JWS algorithms accepted (asymmetric only). */
    IDP_ALGORITHMS: env.list(DEFAULT_ALGORITHMS),
    /** The `aud` this service accepts, when the provider names audiences other than URLs (default: its public URL). */
    TOKEN_AUDIENCE: env.optionalString(),
    /** How often the issuer's revocation feed is polled (ms; 0: never; only our IDP has one). */
    REVOCATION_POLL_MS: env.int(0, 600_000, 2000),
  };
}

export type IdentityConfig = ConfigOf<ReturnType<typeof identitySpec>>;

/** The claim mapping of a parsed config; throws ConfigError for a malformed role map. */
export function claimMapping(cfg: IdentityConfig): ClaimMapping {
  const roleMap: Record<string, Role> = {};
  for (const pair of cfg.IDP_ROLE_MAP) {
    const eq = pair.lastIndexOf('=');
    const from = pair.slice(0, eq).trim();
    const to = pair.slice(eq + 1).trim();
    if (eq <= 0 || !(ROLES as readonly string[]).includes(to))
      throw new ConfigError(
        'IDP_ROLE_MAP',
        `external=role pairs, each role one of ${ROLES.join(', ')}`,
        cfg.IDP_ROLE_MAP.join(','),
      );
    roleMap[from] = to as Role;
  }
  return {
    username: cfg.IDP_USERNAME_CLAIM,
    roles: cfg.IDP_ROLES_CLAIM,
    organizations: cfg.IDP_ORGANIZATIONS_CLAIM,
    organizationsPrefix: cfg.IDP_ORGANIZATIONS_PREFIX ?? '',
    scope: cfg.IDP_SCOPE_CLAIM,
    roleMap,
  };
}

/** The accepted algorithms of a parsed config; throws ConfigError for a symmetric or unknown one. */
export function acceptedAlgorithms(cfg: IdentityConfig): string[] {
  const bad = cfg.IDP_ALGORITHMS.find((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (bad !== undefined || cfg.IDP_ALGORITHMS.length === 0)
    throw new ConfigError(
      'IDP_ALGORITHMS',
      `asymmetric JWS algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
      cfg.IDP_ALGORITHMS.join(','),
    );
  return cfg.IDP_ALGORITHMS;
}

/** What a token verifier takes from the identity config. */
export function verifierIdentity(cfg: IdentityConfig) {
  return {
    claims: claimMapping(cfg),
    algorithms: acceptedAlgorithms(cfg),
    revocationPollMs: cfg.REVOCATION_POLL_MS,
  };
}

/**
 * A claim by name, or by dotted path into nested objects (`realm_access.roles`). A claim whose whole name
 * is present wins, so namespaced claims such as `https://example.com/roles` (Auth0) work as they are.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let at: unknown = claims;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}
