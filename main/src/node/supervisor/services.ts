/**
 * The local stack's services: how each is started, where its health endpoint is, and its
 * environment (DESIGN.md, "Running the parts"). Ports are chosen for all of them before anything
 * starts, so every service gets the real URLs of the others and they all start at once.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { CLIENT_IDS, type OurServiceName, type ServiceEnv } from '@msi/contracts/endpoints';
import type { ServiceName } from '../../common/host-api.js';
import type { AppLayout } from '../layout.js';

// The names and default ports are the contract's (contracts/src/endpoints.ts).
export { DEFAULT_PORTS, SERVICE_NAMES } from '@msi/contracts/endpoints';

/** What a service's environment is made of. */
export interface StackContext {
  dataDir: string;
  urls: Record<ServiceName, string>;
  ports: Record<ServiceName, number>;
  /** The renderer's origin (the host), the only browser origin the IDP and API accept. */
  rendererOrigin: string;
  /** Where the API finds the built-in documentation, when not its default (packaged app: resources/docs). */
  docsDir?: string | undefined;
  /** The API's confidential client secret at the IDP (secrets.json). */
  apiClientSecret: string;
  /** Model provider for the API; openai only with a key. */
  model: { provider: 'offline' | 'openai'; model: string; baseUrl: string; apiKey?: string | undefined };
}

/**
 * Chroma's token (services/chroma's token gate), derived from the data dir's secret: the API and Chroma
 * get the same one at every start, and nothing else on the machine knows it.
 */
export function chromaToken(apiClientSecret: string): string {
  return createHmac('sha256', apiClientSecret).update('msi chroma token v1').digest('base64url');
}

export interface ServiceSpec {
  name: ServiceName;
  /** Arguments after the Node binary. */
  args(layout: AppLayout, ctx: StackContext): string[];
  env(ctx: StackContext): Record<string, string>;
  healthPath: string;
  /** The health answer carries the process id (the kit's /healthz): ready only when it is our child's. */
  healthHasPid: boolean;
}

const common = (name: ServiceName, ctx: StackContext): ServiceEnv<OurServiceName> => ({
  PORT: String(ctx.ports[name]),
  HOST: '127.0.0.1',
  MSI_DATA_DIR: ctx.dataDir,
  PUBLIC_URL: ctx.urls[name],
  IDP_ISSUER: ctx.urls.idp,
});

/** One of ours: `node services/<name>`, with the environment the contract names for it (SERVICE_ENV). */
const ourService = <S extends OurServiceName>(
  name: S,
  env: (ctx: StackContext) => ServiceEnv<S>,
): ServiceSpec => ({
  name,
  args: (layout) => [join(layout.root, 'services', name)],
  env: (ctx) => ({ ...common(name, ctx), ...env(ctx) }) as Record<string, string>,
  healthPath: '/healthz',
  healthHasPid: true,
});

export const SERVICES: Record<ServiceName, ServiceSpec> = {
  idp: ourService('idp', (ctx) => ({
    API_CLIENT_SECRET: ctx.apiClientSecret,
    IDP_DEMO: 'true',
    API_URL: ctx.urls.api,
    TICKETING_URL: ctx.urls.ticketing,
    ORGANIZATIONS_URL: ctx.urls.organizations,
    ALLOWED_ORIGINS: ctx.rendererOrigin,
  })),
  ticketing: ourService('ticketing', () => ({})),
  organizations: ourService('organizations', () => ({})),
  chroma: {
    name: 'chroma',
    // Chroma's own server, as a service like the others (services/chroma): it exits when we are gone.
    args: (layout) => [join(layout.root, 'services', 'chroma')],
    env: (ctx) => ({
      PORT: String(ctx.ports.chroma),
      HOST: '127.0.0.1',
      MSI_DATA_DIR: ctx.dataDir,
      CHROMA_TOKEN: chromaToken(ctx.apiClientSecret),
    }),
    healthPath: '/api/v2/heartbeat',
    healthHasPid: false,
  },
  api: ourService('api', (ctx) => ({
    TICKETING_URL: ctx.urls.ticketing,
    ORGANIZATIONS_URL: ctx.urls.organizations,
    CHROMA_URL: ctx.urls.chroma,
    CHROMA_TOKEN: chromaToken(ctx.apiClientSecret),
    API_CLIENT_ID: CLIENT_IDS.api,
    API_CLIENT_SECRET: ctx.apiClientSecret,
    ALLOWED_ORIGINS: ctx.rendererOrigin,
    ...(ctx.docsDir ? { KNOWLEDGE_DOCS_DIR: ctx.docsDir } : {}),
    ...(ctx.model.provider === 'openai' && ctx.model.apiKey
      ? {
          OPENAI_API_KEY: ctx.model.apiKey,
          OPENAI_MODEL: ctx.model.model,
          ...(ctx.model.baseUrl ? { OPENAI_BASE_URL: ctx.model.baseUrl } : {}),
        }
      : {}),
  })),
};
