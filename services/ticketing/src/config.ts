import {
  baseSpec,
  databaseSpec,
  checkMcpServerConfig,
  DEFAULT_PORTS,
  env,
  mcpServerSpec,
  parseConfig,
  withSecretFiles,
  type ConfigOf,
} from '@msi/kit';

/** The ticketing server's environment (DESIGN.md, "Running the parts"; the variables in README.md). */
export const ticketingSpec = {
  ...baseSpec(DEFAULT_PORTS.ticketing),
  ...mcpServerSpec(),
  /** DATABASE_URL (PostgreSQL, its own database `msi_ticketing`) or the SQLite file in the data dir. */
  ...databaseSpec(),
  /** Seed of the demo tickets a fresh data dir is filled with (the same seed gives the same tickets). */
  SEED: env.int(0, 2 ** 31 - 1, 1042),
  /** How many demo tickets a fresh data dir gets (0: none). */
  SEED_TICKETS: env.int(0, 1_000_000, 300),
};

export type TicketingConfig = ConfigOf<typeof ticketingSpec>;

/** Secrets that may also come from a file (`NAME_FILE`): the database URL holds its password. */
export const TICKETING_SECRETS = ['DATABASE_URL'] as const;

/** Reads the environment (secrets also from `NAME_FILE`); throws ConfigError naming the first bad variable. */
export function parseTicketingConfig(source: NodeJS.ProcessEnv = process.env): TicketingConfig {
  return checkMcpServerConfig(parseConfig(ticketingSpec, withSecretFiles(source, TICKETING_SECRETS)));
}
