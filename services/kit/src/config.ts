import { isIP } from 'node:net';
import { z } from 'zod';
import { EXIT, exitWith } from './exit-codes.js';
import { identitySpec, verifierIdentity } from './identity.js';
import { productionSpec, refuseDemoSettings } from './production.js';

/**
 * Configuration from the environment, validated with zod. A missing or malformed variable stops the
 * service with one line naming the variable and what was expected (see `loadConfig`).
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(
      `config: ${variable} must be ${expected}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`,
    );
    this.name = 'ConfigError';
  }
}

/** Reusable field parsers; each carries the human description used in error lines. */
export const env = {
  port: (def?: number) => field(z.coerce.number().int().min(0).max(65535), 'a port number 0-65535', def),
  int: (min: number, max: number, def?: number) =>
    field(z.coerce.number().int().min(min).max(max), `an integer ${min}-${max}`, def),
  string: (def?: string) => field(z.string().min(1), 'a non-empty string', def),
  optionalString: () => field(z.string().min(1).optional(), 'a non-empty string when set'),
  url: (def?: string) =>
    field(
      z
        .string()
        .url()
        .refine((u) => /^https?:\/\//.test(u), 'http(s) URL')
        .transform((u) => u.replace(/\/+$/, '')),
      'an http(s) URL',
      def,
    ),
  optionalUrl: () =>
    field(
      z
        .string()
        .url()
        // `collector:4318` parses as a URL of scheme `collector:`: only http(s) is what this promises.
        .refine((u) => /^https?:\/\//i.test(u), 'http(s) URL')
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
      'an http(s) URL when set',
    ),
  bool: (def?: boolean) =>
    field(
      z
        .enum(['true', 'false', '1', '0', 'yes', 'no'])
        .transform((v) => v === 'true' || v === '1' || v === 'yes'),
      'true or false',
      def === undefined ? undefined : String(def),
    ),
  list: (def?: string[]) =>
    field(
      z.string().transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
      'a comma-separated list',
      def?.join(','),
    ),
  oneOf: <T extends string>(values: readonly [T, ...T[]], def?: T) =>
    field(z.enum(values), `one of ${values.join(', ')}`, def),
  /** Comma-separated IP addresses or CIDR ranges (`10.0.0.0/8,127.0.0.1`). */
  addressList: (def: string[] = []) =>
    field(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        )
        .refine((list) =>
          list.every((a) => {
            const [ip, bits, extra] = a.split('/');
            const v = isIP(ip ?? '');
            if (!v || extra !== undefined) return false;
            return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128));
          }),
        ),
      'comma-separated IP addresses or CIDR ranges',
      def.join(','),
    ),
  /** A PostgreSQL connection URL when set; its password never appears in an error line. */
  optionalDatabaseUrl: () => ({
    ...field(
      z
        .string()
        .refine((u) => {
          try {
            const url = new URL(u);
            return (
              /^postgres(ql)?:$/.test(url.protocol) && (url.hostname !== '' || url.searchParams.has('host'))
            );
          } catch {
            return false;
          }
        })
        .optional(),
      'a postgres://user@host:port/database URL when set',
    ),
    redact: true,
  }),
  optionalRedisUrl: () => ({
    ...field(
      z
        .string()
        .refine((u) => {
          try {
            const url = new URL(u);
            return /^rediss?:$/.test(url.protocol) && url.hostname !== '';
          } catch {
            return false;
          }
        })
        .optional(),
      'a redis://[user:password@]host:port[/db] (or rediss://) URL when set',
    ),
    redact: true,
  }),
};

export interface Field<T> {
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  expected: string;
  def: unknown;
  /** The value may hold a secret (a password in a URL): error lines show it with the secret masked. */
  redact?: boolean;
}

function field<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, expected: string, def?: unknown): Field<T> {
  return { schema, expected, def };
}

export type ConfigOf<S extends Record<string, Field<unknown>>> = {
  [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

/** Parse `spec` (variable name → field) from `source`; throws ConfigError for the first bad variable. */
export function parseConfig<S extends Record<string, Field<unknown>>>(
  spec: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    const raw = source[name];
    const value = raw === undefined || raw === '' ? f.def : raw;
    const parsed = f.schema.safeParse(value);
    if (!parsed.success) {
      throw new ConfigError(name, f.expected, raw === '' ? '' : f.redact && raw ? maskSecret(raw) : raw);
    }
    out[name] = parsed.data;
  }
  return out as ConfigOf<S>;
}

/** `scheme://user:secret@host…` → `scheme://user:***@host…`: a password never reaches a log line. */
export function maskSecret(value: string): string {
  return value.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** Like parseConfig, but a bad variable prints one line to stderr and exits with EXIT.config (78). */
export function loadConfig<S extends Record<string, Field<unknown>>>(
  service: string,
  spec: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  try {
    return parseConfig(spec, source);
  } catch (err) {
    if (err instanceof ConfigError) exitWith(service, EXIT.config, err.message);
    throw err;
  }
}

/** The variables every service reads (DESIGN.md, "Running the parts"). */
export function baseSpec(defaultPort: number) {
  return {
    PORT: env.port(defaultPort),
    HOST: env.string('127.0.0.1'),
    MSI_DATA_DIR: env.string('./.data'),
    PUBLIC_URL: env.optionalUrl(),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    /**
     * Addresses or CIDR ranges of the load balancers in front (`10.0.0.0/8,127.0.0.1`): only a request
     * from one of them has its X-Forwarded-For / -Proto / -Host believed, so the client's address that
     * throttling and logs use cannot be chosen by the client. Empty (default): never believed.
     */
    TRUST_PROXY: env.addressList([]),
    ...observabilitySpec(),
  };
}

/**
 * Traces (docs/tracing.md): with `OTEL_EXPORTER_OTLP_ENDPOINT` (a collector's OTLP/HTTP base URL, e.g.
 * http://otel-collector:4318) every service exports its spans to `<endpoint>/v1/traces`; unset (the
 * desktop), no OpenTelemetry code is loaded. The OpenTelemetry names, so a collector's usual settings apply.
 */
export function observabilitySpec() {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl(),
    /** The full URL for traces only, when it is not `<endpoint>/v1/traces`. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.optionalUrl(),
    /** gRPC is not supported: a collector's OTLP/HTTP port (4318) takes either of these. */
    OTEL_EXPORTER_OTLP_PROTOCOL: env.oneOf(['http/protobuf', 'http/json'], 'http/protobuf'),
    /** Sent with every export (`key=value,key2=value2`, e.g. an API key): read by the exporter itself. */
    OTEL_EXPORTER_OTLP_HEADERS: { ...env.optionalString(), redact: true },
    /** The `service.name` of the spans (default `msi-<service>`, e.g. msi-api). */
    OTEL_SERVICE_NAME: env.optionalString(),
  };
}

/**
 * The data store of a service that keeps one (DESIGN.md; docs/postgresql.md): `DATABASE_URL` set selects
 * PostgreSQL, else the SQLite file in the data dir. `DATABASE_CONNECT_TIMEOUT_MS`: how long start-up
 * waits for an unreachable server before giving up (exit 69).
 */
export function databaseSpec() {
  return {
    DATABASE_URL: env.optionalDatabaseUrl(),
    DATABASE_CONNECT_TIMEOUT_MS: env.int(0, 600_000, 30_000),
    DATABASE_POOL_MAX: env.int(1, 1000, 10),
  };
}

/**
 * Shared state of a service that runs as several instances (docs/scale-out.md): `REDIS_URL` set keeps
 * what every instance must agree on in Redis; unset (the desktop), it stays in this process.
 */
export function redisSpec() {
  return {
    REDIS_URL: env.optionalRedisUrl(),
    /** Keys of this deployment start with this (several deployments may share one Redis). */
    REDIS_KEY_PREFIX: env.string('msi:'),
  };
}

/** The URL others reach a service at: PUBLIC_URL, else http://HOST:PORT. */
export function publicUrl(cfg: { PUBLIC_URL?: string | undefined; HOST: string; PORT: number }): string {
  if (cfg.PUBLIC_URL) return cfg.PUBLIC_URL;
  const host = cfg.HOST === '0.0.0.0' || cfg.HOST === '::' ? '127.0.0.1' : cfg.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${cfg.PORT}`;
}

/**
 * The variables every MCP server reads besides `baseSpec`: whose tokens it takes (the issuer, how its
 * claims read: identitySpec), who may call it, and production mode.
 */
export function mcpServerSpec() {
  return {
    IDP_ISSUER: env.url(),
    ALLOWED_HOSTS: env.list([]),
    ALLOWED_ORIGINS: env.list([]),
    ...identitySpec(),
    ...productionSpec(),
  };
}

type McpServerConfig = ConfigOf<ReturnType<typeof mcpServerSpec>> & Parameters<typeof publicUrl>[0];

/** An MCP server's config checks beyond the fields: the claim mapping, and production mode's refusals. */
export function checkMcpServerConfig<C extends McpServerConfig>(cfg: C): C {
  verifierIdentity(cfg);
  refuseDemoSettings(cfg, { urls: { PUBLIC_URL: cfg.PUBLIC_URL, IDP_ISSUER: cfg.IDP_ISSUER } });
  return cfg;
}

/**
 * What `mountMcp` takes from an MCP server's config: its resource URL, the token audience (TOKEN_AUDIENCE,
 * else the resource URL), the issuer and how its tokens read, Host and Origin lists.
 */
export function mcpAccess(cfg: McpServerConfig) {
  const resource = publicUrl(cfg);
  return {
    resource,
    audience: cfg.TOKEN_AUDIENCE ?? resource,
    issuer: cfg.IDP_ISSUER,
    ...verifierIdentity(cfg),
    allowedHosts: cfg.ALLOWED_HOSTS,
    allowedOrigins: cfg.ALLOWED_ORIGINS,
  };
}
