/** The organizations MCP server: `node services/organizations`, configured by the environment (README.md). */
import { resolve } from 'node:path';
import { maskSecret, mcpAccess, mountMcp, registerReadiness, runService, SCOPES, storeCheck } from '@msi/kit';
import { parseOrganizationsConfig } from './config.js';
import { dbFile, openOrganizationsDb } from './db.js';
import { SERVER_NAME, SERVER_VERSION } from './server-info.js';
import { OrgStore } from './store/index.js';

const tools = () => import('./server.js');

await runService({
  name: 'organizations',
  version: SERVER_VERSION,
  config: parseOrganizationsConfig,
  async open(cfg, log) {
    const dataDir = resolve(cfg.MSI_DATA_DIR);
    const { store, seeded } = await openOrganizationsDb({
      dataDir,
      url: cfg.DATABASE_URL,
      seedNumber: cfg.SEED,
      log,
      connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
      poolMax: cfg.DATABASE_POOL_MAX,
    });
    if (seeded)
      log.info(
        {
          database: cfg.DATABASE_URL ? maskSecret(cfg.DATABASE_URL) : dbFile(dataDir),
          seed: cfg.SEED,
        },
        'seeded a fresh database with the demo set',
      );
    return store;
  },
  build({ cfg, data: db, app, log }) {
    const store = new OrgStore(db);
    registerReadiness(app, [storeCheck(db)]);
    mountMcp(app, {
      name: SERVER_NAME,
      version: SERVER_VERSION,
      ...mcpAccess(cfg),
      scopesSupported: [SCOPES.orgsRead, SCOPES.orgsWrite],
      readScope: SCOPES.orgsRead,
      store: db,
      toolScopes: async () => (await tools()).TOOL_SCOPES,
      // The tools (and the MCP SDK values they use) are loaded after start-up, not before listening.
      build: async (server, principal) => (await tools()).buildServer(server, { store, principal, log }),
      preload: tools,
    });
  },
});
