import {
  baseSpec,
  ConfigError,
  primaryDatabaseSpec,
  DEFAULT_PORTS,
  defaultUrl,
  env,
  parseConfig,
  productionSpec,
  publicUrl,
  refuseDemoSettings,
  withSecretFiles,
  type ConfigOf,
} from '@msi/kit';

/** Secrets that may also come from a file (`NAME_FILE`, Docker and Kubernetes secrets). */
export const IDP_SECRETS = ['API_CLIENT_SECRET', 'DATABASE_URL'] as const;

/** The IDP's environment (DESIGN.md, "Running the parts"; the variables in README.md). Lifetimes are in seconds. */
export const idpSpec = {
  ...baseSpec(DEFAULT_PORTS.idp),
  /** DATABASE_URL (PostgreSQL, its own database `msi_idp`), else `idp/idp.sqlite` in MSI_DATA_DIR. */
  ...primaryDatabaseSpec(),
  API_CLIENT_SECRET: env.string(),
  IDP_DEMO: env.bool(false),
  API_URL: env.url(defaultUrl('api')),
  TICKETING_URL: env.url(defaultUrl('ticketing')),
  ORGANIZATIONS_URL: env.url(defaultUrl('organizations')),
  /**
   * The renderer's origin(s): the only origins allowed by CORS, and the only ones the desktop client's
   * code goes to without the person's consent (another loopback port is asked about first).
   */
  ALLOWED_ORIGINS: env.list([]),
  /** Host header values served besides PUBLIC_URL's and a loopback name on the bound port. */
  ALLOWED_HOSTS: env.list([]),
  /**
   * Fetch Client ID Metadata Documents from private and loopback addresses too (a test or an intranet
   * host). Off by default: a client id URL must not make the IDP reach into its own network.
   */
  IDP_CLIENT_METADATA_PRIVATE_HOSTS: env.bool(false),
  IDP_CODE_TTL: env.int(1, 600, 60),
  IDP_ACCESS_TOKEN_TTL: env.int(10, 86_400, 15 * 60),
  IDP_EXCHANGED_TOKEN_TTL: env.int(10, 3600, 5 * 60),
  IDP_REFRESH_TOKEN_TTL: env.int(60, 30 * 86_400, 12 * 3600),
  ...productionSpec(),
};

export type IdpConfig = ConfigOf<typeof idpSpec> & { issuer: string };

/**
 * Reads the environment (API_CLIENT_SECRET and DATABASE_URL also from NAME_FILE); throws ConfigError naming
 * the first bad variable. In production mode (MSI_ENV=production) demo mode, a known or short secret and
 * plain-http URLs are refused (kit production.ts).
 */
export function parseIdpConfig(source: NodeJS.ProcessEnv = process.env): IdpConfig {
  const cfg = parseConfig(idpSpec, withSecretFiles(source, IDP_SECRETS));
  const bad = cfg.ALLOWED_ORIGINS.find((o) => !URL.canParse(o) || !/^https?:$/.test(new URL(o).protocol));
  if (bad !== undefined) throw new ConfigError('ALLOWED_ORIGINS', 'http(s) origins', bad);
  refuseDemoSettings(cfg, {
    off: { IDP_DEMO: cfg.IDP_DEMO },
    secrets: { API_CLIENT_SECRET: cfg.API_CLIENT_SECRET },
    urls: {
      PUBLIC_URL: cfg.PUBLIC_URL,
      API_URL: cfg.API_URL,
      TICKETING_URL: cfg.TICKETING_URL,
      ORGANIZATIONS_URL: cfg.ORGANIZATIONS_URL,
    },
  });
  return { ...cfg, issuer: publicUrl(cfg) };
}
