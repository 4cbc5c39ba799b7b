import {
  baseSpec,
  CLIENT_IDS,
  ConfigError,
  databaseSpec,
  DEFAULT_PORTS,
  defaultUrl,
  env,
  identitySpec,
  parseConfig,
  productionSpec,
  publicUrl,
  refuseDemoSettings,
  verifierIdentity,
  withSecretFiles,
  type ConfigOf,
} from '@msi/kit';

/** Secrets that may also come from a file (`NAME_FILE`; DATABASE_URL holds the database password). */
export const API_SECRETS = [
  'API_CLIENT_SECRET',
  'OPENAI_API_KEY',
  'METRICS_TOKEN',
  'CHROMA_TOKEN',
  'DATABASE_URL',
] as const;

/** The API's environment (DESIGN.md, "Running the parts"; the variables in README.md). */
export const apiSpec = {
  ...baseSpec(DEFAULT_PORTS.api),
  /**
   * PostgreSQL (its own database, `msi_api`; docs/postgresql.md) instead of the SQLite file in the data
   * dir; conversations and the knowledge base share one pool of DATABASE_POOL_MAX connections.
   */
  ...databaseSpec(),
  IDP_ISSUER: env.url(defaultUrl('idp')),
  TICKETING_URL: env.url(defaultUrl('ticketing')),
  ORGANIZATIONS_URL: env.url(defaultUrl('organizations')),
  CHROMA_URL: env.url(defaultUrl('chroma')),
  /** Chroma's token (its CHROMA_TOKEN), sent as X-Chroma-Token with every request. */
  CHROMA_TOKEN: env.optionalString(),
  API_CLIENT_ID: env.string(CLIENT_IDS.api),
  API_CLIENT_SECRET: env.string(),
  /**
   * How the API asks for an MCP server's token (RFC 8693): `resource` (RFC 8707, our IDP, oidc-provider)
   * or `audience` (Keycloak 26, Okta), with each server's TICKETING_AUDIENCE / ORGANIZATIONS_AUDIENCE.
   */
  TOKEN_EXCHANGE_TARGET: env.oneOf(['resource', 'audience'], 'resource'),
  /** The ticketing server's audience at the IDP (default: TICKETING_URL). */
  TICKETING_AUDIENCE: env.optionalString(),
  /** The organizations server's audience at the IDP (default: ORGANIZATIONS_URL). */
  ORGANIZATIONS_AUDIENCE: env.optionalString(),
  ...identitySpec(),
  ...productionSpec(),
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (production: monitoring). */
  METRICS_TOKEN: env.optionalString(),
  /** Where the deployment's backups land; /readyz checks the newest is recent (production: backups). */
  BACKUP_DIR: env.optionalString(),
  /** How old the newest backup in BACKUP_DIR may be (hours). */
  BACKUP_MAX_AGE_HOURS: env.int(1, 24 * 366, 26),
  ALLOWED_ORIGINS: env.list([defaultUrl('host'), `http://localhost:${DEFAULT_PORTS.host}`]),
  /** Host header values served besides PUBLIC_URL's and a loopback name on the bound port (DNS rebinding). */
  ALLOWED_HOSTS: env.list([]),
  RATE_LIMIT_REQUESTS: env.int(1, 100_000, 300),
  OPENAI_API_KEY: env.optionalString(),
  OPENAI_BASE_URL: env.optionalUrl(),
  OPENAI_MODEL: env.string('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: env.optionalString(),
  /** Which embedding the knowledge base uses: `auto` = openai when a key is set, else offline. */
  EMBEDDING_PROVIDER: env.oneOf(['auto', 'openai', 'offline'], 'auto'),
  /** How long a change waits for the person's decision before it counts as denied (ms). */
  APPROVAL_TIMEOUT_MS: env.int(1000, 24 * 3600 * 1000, 5 * 60 * 1000),
  /** Longest message a person may send (characters). */
  MAX_MESSAGE_CHARS: env.int(1, 1_000_000, 8000),
  /** How long an MCP server has to answer one connection, tool list or call before the person is told (ms). */
  MCP_TIMEOUT_MS: env.int(100, 10 * 60 * 1000, 10_000),
  /** How long Chroma has to answer one request before search goes on with full-text results only (ms). */
  CHROMA_TIMEOUT_MS: env.int(100, 10 * 60 * 1000, 3_000),
  /** Where the built-in documentation lives (default: <repo>/resources/docs). */
  KNOWLEDGE_DOCS_DIR: env.optionalString(),
};

export type ApiConfig = ConfigOf<typeof apiSpec> & {
  publicUrl: string;
  /** The `aud` the API's own tokens carry (TOKEN_AUDIENCE, else publicUrl). */
  audience: string;
  /** Where each secret came from, for /readyz (never the value). */
  secretSources: Record<string, 'environment' | 'file' | 'unset'>;
};

function finish(cfg: ConfigOf<typeof apiSpec>, source: NodeJS.ProcessEnv): ApiConfig {
  if (cfg.EMBEDDING_PROVIDER === 'openai' && !cfg.OPENAI_API_KEY) {
    throw new ConfigError('EMBEDDING_PROVIDER', 'auto or offline when OPENAI_API_KEY is not set', 'openai');
  }
  verifierIdentity(cfg);
  refuseDemoSettings(cfg, {
    secrets: { API_CLIENT_SECRET: cfg.API_CLIENT_SECRET },
    urls: {
      PUBLIC_URL: cfg.PUBLIC_URL,
      IDP_ISSUER: cfg.IDP_ISSUER,
      TICKETING_URL: cfg.TICKETING_URL,
      ORGANIZATIONS_URL: cfg.ORGANIZATIONS_URL,
    },
  });
  const url = publicUrl(cfg);
  const secretSources = Object.fromEntries(
    API_SECRETS.map((n) => [n, source[n] ? 'environment' : source[`${n}_FILE`] ? 'file' : 'unset'] as const),
  );
  return { ...cfg, publicUrl: url, audience: cfg.TOKEN_AUDIENCE ?? url, secretSources };
}

/** Reads the environment (secrets also from `NAME_FILE`); throws ConfigError naming the first bad variable. */
export function parseApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  const withFiles = withSecretFiles(source, API_SECRETS);
  return finish(parseConfig(apiSpec, withFiles), source);
}
