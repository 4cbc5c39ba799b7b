import {
  baseSpec,
  DEFAULT_PORTS,
  defaultUrl,
  env,
  loadConfig,
  publicUrl,
  type ConfigOf,
  type EnvName,
  type Field,
} from '@msi/kit';

/** The IDP's environment (DESIGN.md, "Running the parts"). Lifetimes are in seconds. */
export const idpSpec = {
  ...baseSpec(DEFAULT_PORTS.idp),
  API_CLIENT_SECRET: env.string(),
  IDP_DEMO: env.bool(false),
  API_URL: env.url(defaultUrl('api')),
  TICKETING_URL: env.url(defaultUrl('ticketing')),
  ORGANIZATIONS_URL: env.url(defaultUrl('organizations')),
  ALLOWED_ORIGINS: env.list([]),
  IDP_CODE_TTL: env.int(1, 600, 60),
  IDP_ACCESS_TOKEN_TTL: env.int(10, 86_400, 15 * 60),
  IDP_EXCHANGED_TOKEN_TTL: env.int(10, 3600, 5 * 60),
  IDP_REFRESH_TOKEN_TTL: env.int(60, 30 * 86_400, 12 * 3600),
} satisfies Record<EnvName<'idp'>, Field<unknown>> & Record<string, Field<unknown>>;

export type IdpConfig = ConfigOf<typeof idpSpec> & { issuer: string };

export function loadIdpConfig(source: NodeJS.ProcessEnv = process.env): IdpConfig {
  const cfg = loadConfig('idp', idpSpec, source);
  return { ...cfg, issuer: publicUrl(cfg) };
}
