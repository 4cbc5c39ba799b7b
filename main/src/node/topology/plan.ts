/**
 * The topology's shape, as data (no processes): which instances run, on which loopback ports, with which
 * environment, and the public URLs nginx serves them at. The seed's production picture on one machine:
 * IDP, 2 ticketing, 2 organizations, 3 API instances, a Chroma server, Redis, PostgreSQL, nginx in front.
 *
 * Every public service gets an origin of its own on nginx (https://127.0.0.1:PORT+n), not a path prefix:
 * issuers, token audiences and MCP resource URLs stay bare origins exactly as on the desktop, so nothing
 * in the services has to know it sits behind a proxy except TRUST_PROXY and its PUBLIC_URL.
 */
import { CLIENT_IDS, DESKTOP_SCOPES } from '@msi/contracts/endpoints';
import type { RendererConfig } from '../../common/host-api.js';

/** The services nginx balances, and their offset from the web port. */
export const PUBLIC_SERVICES = ['api', 'idp', 'ticketing', 'organizations'] as const;
export type PublicService = (typeof PUBLIC_SERVICES)[number];
export const PUBLIC_OFFSET: Record<PublicService, number> = {
  api: 1,
  idp: 2,
  ticketing: 3,
  organizations: 4,
};

/** How many instances of each of our services run (the seed: 3 API workers, 2 MCP containers each). */
export const INSTANCE_COUNTS: Record<PublicService, number> = {
  idp: 1,
  ticketing: 2,
  organizations: 2,
  api: 3,
};

/** The PostgreSQL database each service owns (docs/postgresql.md), with the deployment's prefix. */
export const DATABASE_SERVICES = ['idp', 'ticketing', 'organizations', 'api'] as const;
export const databaseName = (prefix: string, service: PublicService) => `${prefix}_${service}`;

export interface Instance {
  /** `api-2`, `ticketing-1`, `idp-1`. */
  id: string;
  service: PublicService;
  /** Its own loopback port (nginx's upstream). */
  port: number;
}

export interface TopologyPlan {
  webPort: number;
  /** https://127.0.0.1:PORT: the renderer and /config.json. */
  webUrl: string;
  /** Each balanced service's public origin on nginx. */
  publicUrls: Record<PublicService, string>;
  publicPorts: Record<PublicService, number>;
  instances: Instance[];
  chromaPort: number;
  /** Origins the IDP and the API accept (the web origin, and desktop hosts in Remote mode). */
  allowedOrigins: string[];
}

export function publicPorts(webPort: number): Record<PublicService, number> {
  return Object.fromEntries(PUBLIC_SERVICES.map((s) => [s, webPort + PUBLIC_OFFSET[s]])) as Record<
    PublicService,
    number
  >;
}

/** Every port nginx listens on: the web port and one per public service. */
export function nginxPorts(webPort: number): number[] {
  return [webPort, ...Object.values(publicPorts(webPort))];
}

/**
 * The plan for a web port and the instances' own ports (`instancePorts` in the order of `instanceIds()`,
 * then Chroma's). `extraOrigins`: renderer origins besides the web one (the desktop app's host).
 */
export function makePlan(
  webPort: number,
  ports: number[],
  extraOrigins: readonly string[] = [],
): TopologyPlan {
  const ids = instanceIds();
  if (ports.length !== ids.length + 1)
    throw new Error(`makePlan: ${ids.length + 1} ports needed, got ${ports.length}`);
  const pub = publicPorts(webPort);
  const webUrl = `https://127.0.0.1:${webPort}`;
  return {
    webPort,
    webUrl,
    publicPorts: pub,
    publicUrls: Object.fromEntries(PUBLIC_SERVICES.map((s) => [s, `https://127.0.0.1:${pub[s]}`])) as Record<
      PublicService,
      string
    >,
    instances: ids.map((i, n) => ({ ...i, port: ports[n]! })),
    chromaPort: ports[ids.length]!,
    allowedOrigins: [...new Set([webUrl, ...extraOrigins])],
  };
}

export function instanceIds(): Omit<Instance, 'port'>[] {
  return (['idp', 'ticketing', 'organizations', 'api'] as const).flatMap((service) =>
    Array.from({ length: INSTANCE_COUNTS[service] }, (_, k) => ({ id: `${service}-${k + 1}`, service })),
  );
}

export interface EnvInputs {
  dataDir: string;
  /** postgres://…/<db> of each service. */
  databaseUrls: Record<PublicService, string>;
  redisUrl: string;
  redisKeyPrefix: string;
  apiClientSecret: string;
  chromaToken: string;
  /** The self-signed certificate (PEM): the services call each other through nginx over https. */
  certFile: string;
  logLevel?: string;
}

/**
 * One instance's environment: the contract's variables (DESIGN.md, "Running the parts") with every URL
 * the public one through nginx, TRUST_PROXY for nginx's loopback address, and the certificate as an
 * extra CA so Node's fetch trusts nginx.
 */
export function instanceEnv(plan: TopologyPlan, inst: Instance, inp: EnvInputs): Record<string, string> {
  const url = plan.publicUrls;
  const common = {
    PORT: String(inst.port),
    HOST: '127.0.0.1',
    MSI_DATA_DIR: inp.dataDir,
    PUBLIC_URL: url[inst.service],
    IDP_ISSUER: url.idp,
    TRUST_PROXY: '127.0.0.1',
    DATABASE_URL: inp.databaseUrls[inst.service],
    NODE_EXTRA_CA_CERTS: inp.certFile,
    LOG_LEVEL: inp.logLevel ?? 'info',
  };
  switch (inst.service) {
    case 'idp':
      return {
        ...common,
        API_CLIENT_SECRET: inp.apiClientSecret,
        IDP_DEMO: 'true',
        API_URL: url.api,
        TICKETING_URL: url.ticketing,
        ORGANIZATIONS_URL: url.organizations,
        ALLOWED_ORIGINS: plan.allowedOrigins.join(','),
      };
    case 'ticketing':
    case 'organizations':
      return common;
    case 'api':
      return {
        ...common,
        TICKETING_URL: url.ticketing,
        ORGANIZATIONS_URL: url.organizations,
        // Chroma is one server: the API reaches it directly (the seed draws no balancer in front of it).
        CHROMA_URL: `http://127.0.0.1:${plan.chromaPort}`,
        CHROMA_TOKEN: inp.chromaToken,
        API_CLIENT_ID: CLIENT_IDS.api,
        API_CLIENT_SECRET: inp.apiClientSecret,
        ALLOWED_ORIGINS: plan.allowedOrigins.join(','),
        REDIS_URL: inp.redisUrl,
        REDIS_KEY_PREFIX: inp.redisKeyPrefix,
      };
  }
}

/** What nginx serves at /config.json: the renderer in Remote mode on the balanced endpoints. */
export function rendererConfig(plan: TopologyPlan): RendererConfig {
  return {
    mode: 'remote',
    issuer: plan.publicUrls.idp,
    clientId: CLIENT_IDS.desktop,
    apiUrl: plan.publicUrls.api,
    scopes: DESKTOP_SCOPES,
  };
}
