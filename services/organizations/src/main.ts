/** The organizations MCP server: `node services/organizations`, configured by the environment (DESIGN.md). */
import {
  baseSpec,
  createHttpService,
  env,
  loadConfig,
  mountMcp,
  onShutdown,
  publicUrl,
  SCOPES,
  DataDirError,
} from '@msi/kit';
import { resolve } from 'node:path';
import { dbFile, openOrganizationsDb } from './db.js';
import { DEFAULT_SEED } from './seed.js';
import { OrgStore } from './store/index.js';
import { SERVER_NAME, SERVER_VERSION } from './server-info.js';

const cfg = loadConfig('organizations', {
  ...baseSpec(9001),
  IDP_ISSUER: env.url(),
  ALLOWED_ORIGINS: env.list([]),
  ALLOWED_HOSTS: env.list([]),
  /** Seed of the demo set's deployments and statuses (members always match the IDP's demo directory). */
  SEED: env.int(0, 2 ** 31 - 1, DEFAULT_SEED),
});

const { app, log, listen } = createHttpService({
  name: 'organizations',
  host: cfg.HOST,
  port: cfg.PORT,
  logLevel: cfg.LOG_LEVEL,
});
let opened: ReturnType<typeof openOrganizationsDb>;
try {
  opened = openOrganizationsDb(resolve(cfg.MSI_DATA_DIR), cfg.SEED);
} catch (err) {
  if (!(err instanceof DataDirError)) throw err;
  process.stderr.write(`organizations: ${err.message}\n`);
  process.exit(78);
}
const { db, seeded } = opened;
onShutdown(() => db.close());
if (seeded)
  log.info(
    { file: dbFile(resolve(cfg.MSI_DATA_DIR)), seed: cfg.SEED },
    'seeded a fresh data dir with the demo set',
  );
const store = new OrgStore(db);

const resource = publicUrl(cfg);
const tools = () => import('./server.js');
mountMcp(app, {
  name: SERVER_NAME,
  version: SERVER_VERSION,
  resource,
  issuer: cfg.IDP_ISSUER,
  scopesSupported: [SCOPES.orgsRead, SCOPES.orgsWrite],
  readScope: SCOPES.orgsRead,
  toolScopes: async () => (await tools()).TOOL_SCOPES,
  allowedHosts: cfg.ALLOWED_HOSTS,
  allowedOrigins: cfg.ALLOWED_ORIGINS,
  // The tools (and the MCP SDK values they use) are loaded after start-up, not before listening.
  build: async (server, principal) => (await tools()).buildServer(server, { store, principal, log }),
  preload: tools,
});

await listen();
