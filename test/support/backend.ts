/**
 * The whole back end (no supervisor, no host, no renderer) for integration tests and benchmarks, as real
 * processes on free ports: the IDP,
 * both MCP servers (seeded), Chroma and the API, all in one fresh data dir. `login(username)` signs in
 * through the IDP's real login form and returns an access token for the API. `startApi(env)` starts one
 * more API process (same audience, its own data dir and port) — e.g. with the `openai` provider pointed
 * at a scripted model. `stop()` ends everything it started and removes the data dir.
 * `startExternalBackend` is the same back end trusting a third-party OpenID provider instead of ours
 * (test/support/external-idp.ts: oidc-provider, Keycloak-shaped claims); our IDP is not started.
 *
 * `postgres: true` runs the back end on PostgreSQL: each service of POSTGRES_SERVICES gets a fresh
 * database of its own on the test server (test/support/database.ts), dropped at stop; `databaseUrls`
 * gives services databases that exist already (kept), e.g. ones a backup was restored into.
 */
import { join } from 'node:path';
import { freePort } from '@msi/kit';
import { startChroma, type RunningChroma } from './chroma.js';
import { externalSignIn, startExternalIdp, type ExternalIdp } from './external-idp.js';
import { loginWithPassword, startIdp, TEST_API_CLIENT_SECRET, type RunningIdp } from './idp.js';
import { tempDataDir, type ServiceWithDb } from './data-dir.js';
import { freshDatabase, type FreshDatabase } from './database.js';
import { startService, type RunningService } from './services.js';

/** The running back end: each service's process and URL, and one data dir for all. */
interface Parts<I> {
  dataDir: string;
  idp: I;
  ticketing: RunningService;
  organizations: RunningService;
  chroma: RunningChroma;
  api: RunningService;
  /** The PostgreSQL database of each service that runs on one (none: all on SQLite). */
  databaseUrls: DatabaseUrls;
  /** The API's token audience (its PUBLIC_URL): shared by every API process of this back end. */
  apiAudience: string;
  /** An access token for the API, signed in as `username` (password `demo`). */
  login(username: string): Promise<string>;
  /** Starts another API process against this back end; stopped with it. */
  startApi(env?: Record<string, string | undefined>): Promise<RunningService>;
  /**
   * Ends the API process (`kill -9` with `crash`, as a process that dies; else a normal stop) and starts
   * it again on the same data dir and port; `api` is the new process afterwards.
   */
  restartApi(opts?: { crash?: boolean }): Promise<RunningService>;
  stop(): Promise<void>;
}

/** The services that take DATABASE_URL (every one with a database). */
export const POSTGRES_SERVICES: readonly ServiceWithDb[] = ['idp', 'ticketing', 'organizations', 'api'];

export type DatabaseUrls = Partial<Record<ServiceWithDb, string>>;

export interface BackendOptions {
  apiEnv?: Record<string, string | undefined>;
  /** More environment for both MCP servers (ticketing, organizations). */
  mcpEnv?: Record<string, string | undefined>;
  seedTickets?: number;
  /** Every service of POSTGRES_SERVICES on a fresh PostgreSQL database of its own (dropped at stop). */
  postgres?: boolean;
  /** Databases to use as they are (kept at stop); they win over `postgres`'s fresh ones. */
  databaseUrls?: DatabaseUrls;
  /** The data dir to use (kept at stop); default a fresh temporary one (removed). */
  dataDir?: string;
}

export type Backend = Parts<RunningIdp>;
export type ExternalBackend = Parts<ExternalIdp>;

/** How a back end's identity provider is started and signs people in. */
interface Identity<I> {
  start(
    urls: { api: string; ticketing: string; organizations: string },
    dataDir: string,
    env: Record<string, string>,
  ): Promise<I>;
  issuer(idp: I): string;
  /** Environment of the API and of each MCP server for this provider. */
  apiEnv(idp: I): Record<string, string>;
  mcpEnv(idp: I, server: 'ticketing' | 'organizations'): Record<string, string>;
  login(idp: I, username: string, apiAudience: string): Promise<string>;
}

const OUR_IDP: Identity<RunningIdp> = {
  start: (urls, dataDir, env) =>
    startIdp({
      dataDir: join(dataDir, 'idp-data'),
      audiences: { api: urls.api, ticketing: urls.ticketing, organizations: urls.organizations },
      env,
    }),
  issuer: (idp) => idp.issuer,
  apiEnv: (idp) => ({
    IDP_ISSUER: idp.issuer,
    API_CLIENT_ID: 'msi-api',
    API_CLIENT_SECRET: TEST_API_CLIENT_SECRET,
  }),
  mcpEnv: (idp) => ({ IDP_ISSUER: idp.issuer }),
  login: async (idp, username) => (await loginWithPassword(idp.issuer, username)).access_token,
};

export function startBackend(opts: BackendOptions = {}): Promise<Backend> {
  return startParts(OUR_IDP, opts);
}

/**
 * The back end on the third-party provider: `rendererOrigins` are registered there (the renderer's
 * /auth/callback) and allowed by the API's CORS.
 */
export function startExternalBackend(
  opts: {
    apiEnv?: Record<string, string | undefined>;
    seedTickets?: number;
    rendererOrigins?: string[];
    logicalAudiences?: boolean;
  } = {},
): Promise<ExternalBackend> {
  const identity: Identity<ExternalIdp> = {
    start: (urls) =>
      startExternalIdp({
        apiUrl: urls.api,
        ticketingUrl: urls.ticketing,
        organizationsUrl: urls.organizations,
        ...(opts.rendererOrigins ? { rendererOrigins: opts.rendererOrigins } : {}),
        ...(opts.logicalAudiences !== undefined ? { logicalAudiences: opts.logicalAudiences } : {}),
      }),
    issuer: (idp) => idp.issuer,
    apiEnv: (idp) => ({
      ...idp.apiEnv,
      ...(opts.rendererOrigins ? { ALLOWED_ORIGINS: opts.rendererOrigins.join(',') } : {}),
    }),
    mcpEnv: (idp, server) => idp.mcpEnv(server),
    login: async (idp, username, apiAudience) =>
      (await externalSignIn(idp, username, { resource: apiAudience })).access_token,
  };
  return startParts(identity, opts);
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function startParts<I extends { stop(): Promise<void> }>(
  identity: Identity<I>,
  opts: BackendOptions,
): Promise<Parts<I>> {
  const temp = opts.dataDir ? undefined : tempDataDir('msi-backend-');
  const dataDir = opts.dataDir ?? temp!.dir;
  const started: { stop(): Promise<void> }[] = [];
  const fresh: FreshDatabase[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    started.length = 0;
    for (const d of fresh.splice(0)) await d.drop().catch(() => {});
  };
  const cleanup = () => temp?.cleanup();
  try {
    const databaseUrls: DatabaseUrls = {};
    if (opts.postgres) {
      for (const s of POSTGRES_SERVICES) {
        const d = await freshDatabase(`backend_${s}`);
        fresh.push(d);
        databaseUrls[s] = d.url;
      }
    }
    Object.assign(databaseUrls, opts.databaseUrls);
    const dbEnv = (s: ServiceWithDb): Record<string, string> =>
      databaseUrls[s] ? { DATABASE_URL: databaseUrls[s] } : {};
    const [apiPort, ticketingPort, orgsPort] = await distinctPorts(3);
    const apiAudience = `http://127.0.0.1:${apiPort}`;
    const ticketingUrl = `http://127.0.0.1:${ticketingPort}`;
    const orgsUrl = `http://127.0.0.1:${orgsPort}`;
    const idp = await identity.start(
      { api: apiAudience, ticketing: ticketingUrl, organizations: orgsUrl },
      dataDir,
      dbEnv('idp'),
    );
    started.push(idp);
    const [ticketing, organizations, chroma] = await Promise.all([
      startService(
        'ticketing',
        {
          MSI_DATA_DIR: dataDir,
          ...identity.mcpEnv(idp, 'ticketing'),
          ...dbEnv('ticketing'),
          ...(opts.seedTickets !== undefined ? { SEED_TICKETS: String(opts.seedTickets) } : {}),
          ...opts.mcpEnv,
        },
        { port: ticketingPort },
      ),
      startService(
        'organizations',
        {
          MSI_DATA_DIR: dataDir,
          ...identity.mcpEnv(idp, 'organizations'),
          ...dbEnv('organizations'),
          ...opts.mcpEnv,
        },
        { port: orgsPort },
      ),
      // With its token, as the desktop stack runs it.
      startChroma({ dataDir: join(dataDir, 'chroma'), token: true }),
    ]);
    started.push(ticketing, organizations, chroma);

    const apiEnv = (dir: string, env: Record<string, string | undefined>) => ({
      MSI_DATA_DIR: dir,
      PUBLIC_URL: apiAudience,
      TICKETING_URL: ticketingUrl,
      ORGANIZATIONS_URL: orgsUrl,
      CHROMA_URL: chroma.url,
      CHROMA_TOKEN: chroma.token,
      ...identity.apiEnv(idp),
      RATE_LIMIT_REQUESTS: '1000',
      ...env,
    });
    // The back end's API on its database; one more (startApi) has its own data, as its own data dir says,
    // unless its env names a DATABASE_URL.
    const api = await startService('api', apiEnv(dataDir, { ...dbEnv('api'), ...opts.apiEnv }), {
      port: apiPort,
    });
    started.push(api);

    let extra = 0;
    const backend: Parts<I> = {
      dataDir,
      idp,
      ticketing,
      organizations,
      chroma,
      api,
      databaseUrls,
      apiAudience,
      login: (username) => identity.login(idp, username, apiAudience),
      async startApi(env = {}) {
        const svc = await startService('api', apiEnv(join(dataDir, `api-${++extra}`), env));
        started.push(svc);
        return svc;
      },
      async restartApi({ crash = false } = {}) {
        const old = backend.api;
        if (crash && old.proc.exitCode === null) {
          const exited = new Promise((r) => old.proc.once('exit', r));
          old.proc.kill('SIGKILL');
          await exited;
        } else await old.stop();
        started.splice(started.indexOf(old), 1);
        const svc = await startService('api', apiEnv(dataDir, { ...dbEnv('api'), ...opts.apiEnv }), {
          port: apiPort,
        });
        started.push(svc);
        backend.api = svc;
        return svc;
      },
      async stop() {
        await stopAll();
        cleanup();
      },
    };
    return backend;
  } catch (err) {
    await stopAll();
    cleanup();
    throw err;
  }
}
