import { baseSpec, DEFAULT_PORTS, env, parseConfig, publicUrl, type ConfigOf } from '@msi/kit';
import { DEFAULT_SEED } from './seed.js';

/** The organizations server's environment (DESIGN.md, "Running the parts"; the variables in README.md). */
export const organizationsSpec = {
  ...baseSpec(DEFAULT_PORTS.organizations),
  IDP_ISSUER: env.url(),
  ALLOWED_ORIGINS: env.list([]),
  ALLOWED_HOSTS: env.list([]),
  /** Seed of the demo set's deployments and statuses (members always match the IDP's demo directory). */
  SEED: env.int(0, 2 ** 31 - 1, DEFAULT_SEED),
};

export type OrganizationsConfig = ConfigOf<typeof organizationsSpec> & { resource: string };

/** Reads the environment; throws ConfigError naming the first bad variable. */
export function parseOrganizationsConfig(source: NodeJS.ProcessEnv = process.env): OrganizationsConfig {
  const cfg = parseConfig(organizationsSpec, source);
  return { ...cfg, resource: publicUrl(cfg) };
}
