/** The organizations MCP server: `node services/organizations`, configured by the environment (DESIGN.md). */
import {
  baseSpec,
  createHttpService,
  createTokenVerifier,
  env,
  loadConfig,
  mountMcp,
  onShutdown,
  publicUrl,
  SCOPES,
} from '@msi/kit';
import { openOrganizationsDb } from './db.js';
import { OrgStore } from './store.js';
import { SERVER_NAME, SERVER_VERSION, WRITE_TOOLS, buildServer } from './server.js';

const cfg = loadConfig('organizations', {
  ...baseSpec(9001),
  IDP_ISSUER: env.url('http://127.0.0.1:9400'),
  ALLOWED_ORIGINS: env.list([]),
  ALLOWED_HOSTS: env.list([]),
});

const { app, log, listen } = createHttpService({
  name: 'organizations',
  host: cfg.HOST,
  port: cfg.PORT,
  logLevel: cfg.LOG_LEVEL,
});
const { db, seeded } = openOrganizationsDb(cfg.MSI_DATA_DIR);
onShutdown(() => db.close());
if (seeded) log.info('seeded a fresh organizations database with the demo set');
const store = new OrgStore(db);

const resource = publicUrl(cfg);
mountMcp(app, {
  name: SERVER_NAME,
  version: SERVER_VERSION,
  resource,
  issuer: cfg.IDP_ISSUER,
  verifier: createTokenVerifier({ issuer: cfg.IDP_ISSUER, audience: resource }),
  scopesSupported: [SCOPES.orgsRead, SCOPES.orgsWrite],
  readScope: SCOPES.orgsRead,
  writeTools: WRITE_TOOLS,
  allowedHosts: cfg.ALLOWED_HOSTS,
  allowedOrigins: cfg.ALLOWED_ORIGINS,
  build: (server, principal) => buildServer(server, { store, principal, log }),
});

await listen();
