/** The organizations MCP server: `node services/organizations`, configured by the environment (README.md). */
import { resolve } from 'node:path';
import { mountMcp, runService, SCOPES } from '@msi/kit';
import { parseOrganizationsConfig } from './config.js';
import { dbFile, openOrganizationsDb } from './db.js';
import { SERVER_NAME, SERVER_VERSION } from './server-info.js';
import { OrgStore } from './store/index.js';

const tools = () => import('./server.js');

await runService({
  name: 'organizations',
  version: SERVER_VERSION,
  config: parseOrganizationsConfig,
  open(cfg, log) {
    const { db, seeded } = openOrganizationsDb(resolve(cfg.MSI_DATA_DIR), cfg.SEED);
    if (seeded)
      log.info(
        { file: dbFile(resolve(cfg.MSI_DATA_DIR)), seed: cfg.SEED },
        'seeded a fresh data dir with the demo set',
      );
    return db;
  },
  build({ cfg, data: db, app, log }) {
    const store = new OrgStore(db);
    mountMcp(app, {
      name: SERVER_NAME,
      version: SERVER_VERSION,
      resource: cfg.resource,
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
  },
});
