import {
  baseSpec,
  checkMcpServerConfig,
  primaryDatabaseSpec,
  DEFAULT_PORTS,
  env,
  mcpServerSpec,
  parseConfig,
  withSecretFiles,
  type ConfigOf,
} from '@msi/kit';
import { DEFAULT_SEED } from './seed.js';

/** The organizations server's environment (DESIGN.md, "Running the parts"; the variables in README.md). */
export const organizationsSpec = {
  ...baseSpec(DEFAULT_PORTS.organizations),
  ...mcpServerSpec(),
  /** DATABASE_URL (PostgreSQL, its own database `msi_organizations`), else the SQLite file in MSI_DATA_DIR. */
  ...primaryDatabaseSpec(),
  /** Seed of the demo set's deployments and statuses (members always match the IDP's demo directory). */
  SEED: env.int(0, 2 ** 31 - 1, DEFAULT_SEED),
};

export type OrganizationsConfig = ConfigOf<typeof organizationsSpec>;

/** Secrets that may also come from a file (`NAME_FILE`): the database URL holds its password. */
export const ORGANIZATIONS_SECRETS = ['DATABASE_URL'] as const;

/** Reads the environment (secrets also from `NAME_FILE`); throws ConfigError naming the first bad variable. */
export function parseOrganizationsConfig(source: NodeJS.ProcessEnv = process.env): OrganizationsConfig {
  return checkMcpServerConfig(parseConfig(organizationsSpec, withSecretFiles(source, ORGANIZATIONS_SECRETS)));
}
