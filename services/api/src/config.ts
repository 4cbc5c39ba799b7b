import {
  baseSpec,
  CLIENT_IDS,
  ConfigError,
  databaseSpec,
  DEFAULT_PORTS,
  defaultUrl,
  env,
  parseConfig,
  publicUrl,
  type ConfigOf,
} from '@msi/kit';

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

export type ApiConfig = ConfigOf<typeof apiSpec> & { publicUrl: string };

function finish(cfg: ConfigOf<typeof apiSpec>): ApiConfig {
  if (cfg.EMBEDDING_PROVIDER === 'openai' && !cfg.OPENAI_API_KEY) {
    throw new ConfigError('EMBEDDING_PROVIDER', 'auto or offline when OPENAI_API_KEY is not set', 'openai');
  }
  return { ...cfg, publicUrl: publicUrl(cfg) };
}

/** Reads the environment; throws ConfigError naming the first bad variable. */
export function parseApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return finish(parseConfig(apiSpec, source));
}
