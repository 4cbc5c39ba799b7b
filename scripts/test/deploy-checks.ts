/**
 * What the container and deployment tests check a recipe's environment against: each service's own
 * config spec (the variables it declares, those without a default), its secrets that may come from
 * `NAME_FILE`, and its parse function, the one start-up runs (production mode's refusals included).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig, type Field } from '@msi/kit';
import { API_SECRETS, apiSpec, parseApiConfig } from '../../services/api/src/config.js';
import { CHROMA_SPEC } from '../../services/chroma/src/config.js';
import { IDP_SECRETS, idpSpec, parseIdpConfig } from '../../services/idp/src/config.js';
import {
  ORGANIZATIONS_SECRETS,
  organizationsSpec,
  parseOrganizationsConfig,
} from '../../services/organizations/src/config.js';
import {
  parseTicketingConfig,
  TICKETING_SECRETS,
  ticketingSpec,
} from '../../services/ticketing/src/config.js';
import { ROOT } from '../../test/support/services.js';

export { ROOT };

export type OurService = 'api' | 'idp' | 'ticketing' | 'organizations' | 'chroma';

export interface ServiceFacts {
  spec: Record<string, Field<unknown>>;
  /** Variables that may come from `NAME_FILE`. */
  secrets: readonly string[];
  /** What start-up runs on the environment; throws ConfigError naming the first bad variable. */
  parse(env: NodeJS.ProcessEnv): unknown;
  /** The health path its probes ask. */
  health: string;
  /** Whether it has production mode (MSI_ENV); Chroma's server has none. */
  production: boolean;
}

export const SERVICES: Record<OurService, ServiceFacts> = {
  api: { spec: apiSpec, secrets: API_SECRETS, parse: parseApiConfig, health: '/healthz', production: true },
  idp: { spec: idpSpec, secrets: IDP_SECRETS, parse: parseIdpConfig, health: '/healthz', production: true },
  ticketing: {
    spec: ticketingSpec,
    secrets: TICKETING_SECRETS,
    parse: parseTicketingConfig,
    health: '/healthz',
    production: true,
  },
  organizations: {
    spec: organizationsSpec,
    secrets: ORGANIZATIONS_SECRETS,
    parse: parseOrganizationsConfig,
    health: '/healthz',
    production: true,
  },
  chroma: {
    spec: CHROMA_SPEC,
    secrets: [],
    // chromaConfig() exits on a bad variable; the same spec through parseConfig throws instead.
    parse: (env) => parseConfig(CHROMA_SPEC, env),
    health: '/api/v2/heartbeat',
    production: false,
  },
};

/** Variables a recipe may set that are not ours but the platform's, each with why it is there. */
export const PLATFORM_ENV: Record<string, string> = {
  NODE_EXTRA_CA_CERTS: "Node's own: trust the deployment's private CA (compose's nginx certificate)",
  NODE_ENV: 'set by the image (libraries read it); our services do not',
  PGSSLMODE: "node-postgres's own: Heroku Postgres needs TLS, with a certificate clients cannot verify",
  ELECTRON_SKIP_BINARY_DOWNLOAD:
    "a build setting (Heroku's npm install of the workspace): no Electron binary",
};

/** The entry a service starts from: `node services/<name>` runs its package.json main. */
export function serviceMain(name: OurService): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'services', name, 'package.json'), 'utf8')) as {
    main: string;
  };
  return join('services', name, pkg.main);
}

/** A field with no default that fails on an unset value: the recipe must set it. */
export function requiredVariables(spec: Record<string, Field<unknown>>): string[] {
  return Object.entries(spec)
    .filter(([, f]) => f.def === undefined && !f.schema.safeParse(undefined).success)
    .map(([name]) => name);
}

export interface EnvironmentCheck {
  service: OurService;
  /** Where the recipe is, for the messages: `compose.yaml api`. */
  where: string;
  /** The variables the recipe sets (values as the service will see them; `NAME_FILE` paths included). */
  env: Record<string, string>;
  /** Variables the platform sets itself, with their value (Cloud Run's and Heroku's PORT). */
  platformSets?: Record<string, string>;
  /** The real contents of each `NAME_FILE` path, for parsing (the deployment's secret files). */
  readFile?: (path: string) => string | undefined;
}

/**
 * Every problem of one service's environment in a recipe, as one line each: a variable the service does
 * not declare, a required one not set, production mode not on, and whatever its own parse refuses.
 */
export function environmentProblems(check: EnvironmentCheck): string[] {
  const facts = SERVICES[check.service];
  const declared = new Set([...Object.keys(facts.spec), ...facts.secrets.map((s) => `${s}_FILE`)]);
  const problems: string[] = [];
  for (const name of Object.keys(check.env))
    if (!declared.has(name) && !(name in PLATFORM_ENV))
      problems.push(
        `${check.where}: ${name} is not a variable of ${check.service} (its config spec does not declare it)`,
      );
  const set = new Set([...Object.keys(check.env), ...Object.keys(check.platformSets ?? {})]);
  for (const name of requiredVariables(facts.spec))
    if (!set.has(name) && !set.has(`${name}_FILE`))
      problems.push(`${check.where}: ${name} is required by ${check.service} and not set`);
  if (facts.production && check.env.MSI_ENV !== 'production')
    problems.push(`${check.where}: MSI_ENV must be production (got ${check.env.MSI_ENV ?? 'nothing'})`);
  if (problems.length) return problems;
  // The service's own parse, with each NAME_FILE's contents where the recipe's files are known.
  const env: NodeJS.ProcessEnv = { ...check.env };
  for (const name of facts.secrets) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    const value = check.readFile?.(path);
    if (value === undefined) {
      problems.push(`${check.where}: ${name}_FILE names ${path}, which this deployment does not provide`);
      continue;
    }
    delete env[`${name}_FILE`];
    env[name] = value;
  }
  Object.assign(env, check.platformSets);
  if (problems.length) return problems;
  try {
    facts.parse(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(`${check.where}: ${check.service} refuses it: ${err.message}`);
  }
  return problems;
}

/**
 * A stand-in for a secret a platform holds (Secrets Manager, Secret Manager): the shape the service
 * expects, random enough for production mode (48 characters), so the service's parse can run.
 */
export function secretStandIn(name: string, service: OurService): string {
  const random = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4';
  if (name === 'DATABASE_URL') return `postgres://msi_${service}:${random}@db.internal:5432/msi_${service}`;
  return random;
}
