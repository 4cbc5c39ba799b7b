/**
 * Where the parts find each other (DESIGN.md, "Processes" and "Running the parts"): the service names,
 * their default ports, the environment names the supervisor sets, the OAuth client ids and the scopes.
 * Plain data: the kit re-exports it for the services, main and the renderer import it from here.
 */

/** The local stack's processes, in start order. */
export const SERVICE_NAMES = ['idp', 'ticketing', 'organizations', 'chroma', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default ports; a taken one is replaced by a free port and the dependents get the real URLs. */
export const DEFAULT_PORTS = {
  idp: 9400,
  ticketing: 9000,
  organizations: 9001,
  chroma: 8001,
  api: 8000,
  /** The desktop host: the renderer and /config.json. */
  host: 4200,
} as const satisfies Record<ServiceName | 'host', number>;

export const DEFAULT_HOST = '127.0.0.1';

/** Where a part listens by default: http://127.0.0.1:<its default port>. */
export function defaultUrl(name: keyof typeof DEFAULT_PORTS): string {
  return `http://${DEFAULT_HOST}:${DEFAULT_PORTS[name]}`;
}

/** OAuth clients the IDP knows: the renderer (public, code + PKCE) and the API (confidential). */
export const CLIENT_IDS = { desktop: 'msi-desktop', api: 'msi-api' } as const;

/** Resource scopes. Token exchange narrows a person's token to the target's own scopes. */
export const SCOPES = {
  api: 'api',
  ticketsRead: 'tickets:read',
  ticketsWrite: 'tickets:write',
  orgsRead: 'orgs:read',
  orgsWrite: 'orgs:write',
} as const;

/** The OpenID Connect scopes the IDP serves. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** What the renderer asks for when it signs in (RendererConfig.scopes). */
export const DESKTOP_SCOPES = [...OIDC_SCOPES, SCOPES.api].join(' ');

/**
 * The environment each of our services reads and the supervisor sets (DESIGN.md, "Running the parts");
 * a service's config may read more knobs. A name the supervisor misspells is a type error; one a
 * service does not read fails main/test/node/supervisor/services.test.ts.
 */
const COMMON_ENV = ['PORT', 'HOST', 'MSI_DATA_DIR', 'PUBLIC_URL'] as const;
/** The resource servers and the API verify tokens of the IDP at IDP_ISSUER (the IDP is its own issuer). */
const VERIFIER_ENV = [...COMMON_ENV, 'IDP_ISSUER'] as const;
export const SERVICE_ENV = {
  idp: [
    ...COMMON_ENV,
    'API_CLIENT_SECRET',
    'IDP_DEMO',
    'API_URL',
    'TICKETING_URL',
    'ORGANIZATIONS_URL',
    'ALLOWED_ORIGINS',
  ],
  ticketing: VERIFIER_ENV,
  organizations: VERIFIER_ENV,
  api: [
    ...VERIFIER_ENV,
    'TICKETING_URL',
    'ORGANIZATIONS_URL',
    'CHROMA_URL',
    'CHROMA_TOKEN',
    'API_CLIENT_ID',
    'API_CLIENT_SECRET',
    'ALLOWED_ORIGINS',
    'KNOWLEDGE_DOCS_DIR',
    'OPENAI_API_KEY',
    'OPENAI_MODEL',
    'OPENAI_BASE_URL',
  ],
} as const satisfies Record<Exclude<ServiceName, 'chroma'>, readonly string[]>;
export type OurServiceName = keyof typeof SERVICE_ENV;
export type EnvName<S extends OurServiceName = OurServiceName> = (typeof SERVICE_ENV)[S][number];
/** A service's environment as the supervisor builds it. */
export type ServiceEnv<S extends OurServiceName> = Partial<Record<EnvName<S>, string>>;
