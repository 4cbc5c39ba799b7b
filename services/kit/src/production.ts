/**
 * Production mode (`MSI_ENV=production`): a service refuses the demo settings at start-up, with one line
 * naming the variable (ConfigError, exit 78): the IDP's demo mode, a known or short secret, a plain-http
 * public URL (unless `ALLOW_HTTP=true`, e.g. behind a TLS-terminating proxy on a private network).
 * Secrets may come from a file: `NAME_FILE=/run/secrets/name` when `NAME` is not set.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, env } from './config.js';

/** The variables of production mode, read by every service. */
export function productionSpec() {
  return {
    MSI_ENV: env.oneOf(['development', 'production'], 'development'),
    /** In production mode, plain-http URLs are refused unless this is true. */
    ALLOW_HTTP: env.bool(false),
  };
}

export interface ProductionConfig {
  MSI_ENV: 'development' | 'production';
  ALLOW_HTTP: boolean;
}

/** Secrets the repository, its tests or its examples spell out: never good in production. */
export const KNOWN_SECRETS = new Set([
  'test-api-client-secret',
  'secret',
  'changeme',
  'change-me',
  'demo',
  'password',
  'dev',
  'development',
]);
/** A production secret is at least this long (a random 32-character string or more). */
export const MIN_SECRET_LENGTH = 32;

/**
 * `source` with each `NAME` of `names` read from the file `NAME_FILE` names, where `NAME` itself is not
 * set (Docker and Kubernetes secrets). An unreadable or empty file is a ConfigError naming `NAME_FILE`.
 */
export function withSecretFiles(source: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const out = { ...source };
  for (const name of names) {
    const file = source[`${name}_FILE`];
    if (!file || source[name]) continue;
    let value: string;
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `${name}_FILE`,
        `a readable file holding ${name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        file,
      );
    }
    if (!value) throw new ConfigError(`${name}_FILE`, `a file holding ${name} (it is empty)`, file);
    out[name] = value;
  }
  return out;
}

export interface ProductionRules {
  /** Variables that must be false in production (`IDP_DEMO`). */
  off?: Record<string, boolean>;
  /** Secret variables and their values. */
  secrets?: Record<string, string | undefined>;
  /** URL variables and their values (an unset PUBLIC_URL: the derived http URL, reported as not set). */
  urls?: Record<string, string | undefined>;
}

/** In production mode, throws ConfigError for the first demo setting of `rules`; otherwise does nothing. */
export function refuseDemoSettings(cfg: ProductionConfig, rules: ProductionRules): void {
  if (cfg.MSI_ENV !== 'production') return;
  for (const [name, on] of Object.entries(rules.off ?? {}))
    if (on) throw new ConfigError(name, 'false when MSI_ENV=production', 'true');
  for (const [name, value] of Object.entries(rules.secrets ?? {})) {
    const problem = secretProblem(value);
    if (problem)
      throw new ConfigError(
        name,
        `a secret of the deployment when MSI_ENV=production (${problem}; or set ${name}_FILE)`,
        value === undefined ? undefined : '…',
      );
  }
  if (cfg.ALLOW_HTTP) return;
  for (const [name, value] of Object.entries(rules.urls ?? {}))
    if (!value || !value.startsWith('https://'))
      throw new ConfigError(name, 'an https URL when MSI_ENV=production (or set ALLOW_HTTP=true)', value);
}

/** Why a secret is not good for production, or undefined when it is. */
export function secretProblem(value: string | undefined): string | undefined {
  if (!value) return 'it is not set';
  if (KNOWN_SECRETS.has(value.toLowerCase())) return 'it is a published default';
  if (value.length < MIN_SECRET_LENGTH) return `it is shorter than ${MIN_SECRET_LENGTH} characters`;
  return undefined;
}
