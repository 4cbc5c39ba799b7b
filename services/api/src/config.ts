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
  redisSpec,
  refuseDemoSettings,
  verifierIdentity,
  withSecretFiles,
  type ConfigOf,
} from '@msi/kit';
import { z } from 'zod';

/** USD per million tokens: OpenAI's list prices (standard tier) when this was written; set MODEL_PRICES. */
export const DEFAULT_MODEL_PRICES: Record<string, { prompt: number; completion: number }> = {
  'gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  'gpt-4o': { prompt: 2.5, completion: 10 },
  'gpt-4.1': { prompt: 2, completion: 8 },
  'gpt-4.1-mini': { prompt: 0.4, completion: 1.6 },
  'gpt-4.1-nano': { prompt: 0.1, completion: 0.4 },
};

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
  /**
   * Redis (docs/scale-out.md) for what several API instances share: per-person rate limits, exchanged
   * tokens, turn event streams, turn leases, pending approvals and the requests between instances.
   * Unset (the desktop): all in this process.
   */
  ...redisSpec(),
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
  /** Where the deployment's backups land; /readyz checks the newest is recent (production: backups). */
  BACKUP_DIR: env.optionalString(),
  /** How old the newest backup in BACKUP_DIR may be (hours). */
  BACKUP_MAX_AGE_HOURS: env.int(1, 24 * 366, 26),
  /**
   * How often a backup job is enqueued (docs/jobs.md, "Backups"): `30m`, `6h`, `1d` (at least 1m). With
   * REDIS_URL a BullMQ job scheduler, so every instance that sets it enqueues each backup once. Unset: none.
   */
  BACKUP_SCHEDULE: env.optionalString(),
  /** `service=postgres://…,…`: the databases a backup job dumps (default: `api=` DATABASE_URL). */
  BACKUP_DATABASE_URLS: env.list([]),
  /** A data dir (backup.mjs --data-dir): the SQLite files of services without a database, the IDP's keys. */
  BACKUP_DATA_DIR: env.optionalString(),
  /** Chroma's data dir (backup.mjs --chroma; default BACKUP_DATA_DIR/chroma). */
  BACKUP_CHROMA_DIR: env.optionalString(),
  /** After each backup job, keep the newest archive of the last N days, weeks, months (backup.mjs prune). Unset: no prune. */
  BACKUP_KEEP_DAILY: env.optionalNumber(0, 10_000),
  BACKUP_KEEP_WEEKLY: env.optionalNumber(0, 10_000),
  BACKUP_KEEP_MONTHLY: env.optionalNumber(0, 10_000),
  ALLOWED_ORIGINS: env.list([defaultUrl('host'), `http://localhost:${DEFAULT_PORTS.host}`]),
  /** Host header values served besides PUBLIC_URL's and a loopback name on the bound port (DNS rebinding). */
  ALLOWED_HOSTS: env.list([]),
  RATE_LIMIT_REQUESTS: env.int(1, 100_000, 300),
  OPENAI_API_KEY: env.optionalString(),
  OPENAI_BASE_URL: env.optionalUrl(),
  OPENAI_MODEL: env.string('gpt-4o-mini'),
  OPENAI_EMBEDDING_MODEL: env.optionalString(),
  /**
   * What each model costs, USD per million tokens, for api_model_cost_usd_total (docs/monitoring.md).
   * Replaces the default table (OpenAI's list prices when written); a model not in it counts no cost.
   */
  MODEL_PRICES: env.json(
    z.record(
      z.string().min(1),
      z.object({ prompt: z.number().min(0), completion: z.number().min(0) }).strict(),
    ),
    'JSON {"<model>": {"prompt": <USD per 1M tokens>, "completion": <USD per 1M tokens>}, ...}',
    JSON.stringify(DEFAULT_MODEL_PRICES),
  ),
  /** Daily model budgets the alert rules compare usage with (exported as gauges when set). */
  MODEL_BUDGET_TOKENS_PER_DAY: env.optionalNumber(1, 1e15),
  MODEL_BUDGET_CALLS_PER_DAY: env.optionalNumber(1, 1e12),
  MODEL_BUDGET_USD_PER_DAY: env.optionalNumber(0.01, 1e9),
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
  /** Shared state of every instance (docs/scale-out.md); here: the job queue (BullMQ) and search cache. */
  ...redisSpec(),
  /**
   * `all`: the HTTP API (and, as API_WORKERS says, workers). `worker`: only workers, with /healthz,
   * /readyz and /metrics (`node services/api --worker`; needs REDIS_URL). docs/jobs.md.
   */
  API_MODE: env.oneOf(['all', 'worker'], 'all'),
  /** Jobs this process runs at once; 0: none, leave them to worker processes (needs REDIS_URL; `--no-worker`). */
  API_WORKERS: env.int(0, 64, 1),
  /** Attempts of a background job before it fails with its reason, and the first retry's delay (doubling, ≤ 30 s). */
  JOB_ATTEMPTS: env.int(1, 100, 5),
  JOB_BACKOFF_MS: env.int(10, 600_000, 1000),
  /** How long a cached knowledge search is kept (ms); 0: no cache. Invalidated by any document change. */
  SEARCH_CACHE_TTL_MS: env.int(0, 24 * 3600 * 1000, 10 * 60_000),
};

export type ApiConfig = ConfigOf<typeof apiSpec> & {
  /** BACKUP_SCHEDULE in ms; BACKUP_DATABASE_URLS (or `api` = DATABASE_URL) by service. */
  backupEveryMs?: number;
  backupDatabases: Record<string, string>;
  publicUrl: string;
  /** The `aud` the API's own tokens carry (TOKEN_AUDIENCE, else publicUrl). */
  audience: string;
  /** Where each secret came from, for /readyz (never the value). */
  secretSources: Record<string, 'environment' | 'file' | 'unset'>;
};

function finish(cfg: ConfigOf<typeof apiSpec>, source: NodeJS.ProcessEnv): ApiConfig {
  // Without Redis the jobs live in this process: someone here must run them.
  if (!cfg.REDIS_URL && cfg.API_MODE === 'worker')
    throw new ConfigError(
      'API_MODE',
      'all when REDIS_URL is not set (a worker takes jobs from Redis)',
      'worker',
    );
  if (!cfg.REDIS_URL && cfg.API_WORKERS === 0)
    throw new ConfigError(
      'API_WORKERS',
      'at least 1 when REDIS_URL is not set (jobs run in this process)',
      '0',
    );
  if (cfg.API_MODE === 'worker' && cfg.API_WORKERS === 0)
    throw new ConfigError('API_WORKERS', 'at least 1 with API_MODE=worker', '0');
  if (cfg.EMBEDDING_PROVIDER === 'openai' && !cfg.OPENAI_API_KEY) {
    throw new ConfigError('EMBEDDING_PROVIDER', 'auto or offline when OPENAI_API_KEY is not set', 'openai');
  }
  const backups = backupSettings(cfg);
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
  return { ...cfg, ...backups, publicUrl: url, audience: cfg.TOKEN_AUDIENCE ?? url, secretSources };
}

const BACKUP_SERVICES = ['idp', 'ticketing', 'organizations', 'api'];
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The backup job's settings, checked: one ConfigError naming the variable. */
function backupSettings(cfg: ConfigOf<typeof apiSpec>): Pick<ApiConfig, 'backupEveryMs' | 'backupDatabases'> {
  let backupEveryMs: number | undefined;
  if (cfg.BACKUP_SCHEDULE !== undefined) {
    const m = /^(\d+)([mhd])$/.exec(cfg.BACKUP_SCHEDULE.trim());
    if (!m || Number(m[1]) < 1)
      throw new ConfigError('BACKUP_SCHEDULE', 'an interval such as 30m, 6h or 1d', cfg.BACKUP_SCHEDULE);
    if (!cfg.BACKUP_DIR) throw new ConfigError('BACKUP_DIR', 'set when BACKUP_SCHEDULE is set', undefined);
    backupEveryMs = Number(m[1]) * UNITS[m[2]!]!;
  }
  const backupDatabases: Record<string, string> = {};
  for (const item of cfg.BACKUP_DATABASE_URLS) {
    const eq = item.indexOf('=');
    const service = item.slice(0, eq);
    const url = item.slice(eq + 1);
    // The value holds passwords: the error names the service, never the URL.
    if (eq < 0 || !BACKUP_SERVICES.includes(service) || !/^postgres(ql)?:\/\/[^/]/.test(url))
      throw new ConfigError(
        'BACKUP_DATABASE_URLS',
        `service=postgres://… items, service one of ${BACKUP_SERVICES.join(', ')}`,
        eq < 0 ? '(an item without =)' : `${service}=…`,
      );
    backupDatabases[service] = url;
  }
  if (!cfg.BACKUP_DATABASE_URLS.length && cfg.DATABASE_URL) backupDatabases.api = cfg.DATABASE_URL;
  for (const name of ['BACKUP_KEEP_DAILY', 'BACKUP_KEEP_WEEKLY', 'BACKUP_KEEP_MONTHLY'] as const) {
    const v = cfg[name];
    if (v !== undefined && !Number.isInteger(v))
      throw new ConfigError(name, 'a whole number 0-10000 when set', String(v));
  }
  return { ...(backupEveryMs ? { backupEveryMs } : {}), backupDatabases };
}

/** Reads the environment (secrets also from `NAME_FILE`); throws ConfigError naming the first bad variable. */
export function parseApiConfig(
  source: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): ApiConfig {
  // `node services/api --worker` / `--no-worker`: the same as API_MODE=worker / API_WORKERS=0.
  const flags = {
    ...(argv.includes('--worker') ? { API_MODE: 'worker' } : {}),
    ...(argv.includes('--no-worker') ? { API_WORKERS: '0' } : {}),
  };
  const withFiles = withSecretFiles({ ...source, ...flags }, API_SECRETS);
  return finish(parseConfig(apiSpec, withFiles), source);
}
