/**
 * The ticketing MCP server (`node services/ticketing`, configured by the environment: README.md), or with
 * `seed` the bulk seed CLI: `node services/ticketing seed --tickets 100000 [--seed N] [--anchor YYYY-MM-DD]`
 * (into the database DATABASE_URL names, else MSI_DATA_DIR's SQLite file; it must have no tickets yet;
 * the same seed and anchor give the same data).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EXIT,
  exitWith,
  mcpAccess,
  mountMcp,
  parseConfig,
  databaseSpec,
  registerReadiness,
  runCommand,
  runService,
  SCOPES,
  storeCheck,
  UsageError,
} from '@msi/kit';
import { parseTicketingConfig } from './config.js';
import { openTicketingStore, whereIs } from './db.js';
import { isEmpty, seedTickets } from './seed.js';
import { TicketStore } from './store/index.js';

const VERSION = '0.1.0';
const tools = () => import('./server.js');

function serve() {
  return runService({
    name: 'ticketing',
    version: VERSION,
    config: parseTicketingConfig,
    async open(cfg, log) {
      const dataDir = resolve(cfg.MSI_DATA_DIR);
      const store = await openTicketingStore({
        dataDir,
        url: cfg.DATABASE_URL,
        readUrl: cfg.DATABASE_READ_URL,
        log,
        connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
        poolMax: cfg.DATABASE_POOL_MAX,
      });
      try {
        if (cfg.SEED_TICKETS > 0 && (await isEmpty(store.db))) {
          // Another instance starting on the same empty database at once: only one of them seeds.
          const n = await seedTickets(store, { tickets: cfg.SEED_TICKETS, seed: cfg.SEED });
          if (n > 0)
            log.info(
              { tickets: n, where: whereIs(store, dataDir, cfg.DATABASE_URL) },
              'seeded a fresh store',
            );
        }
      } catch (err) {
        await store.close();
        throw err;
      }
      return store;
    },
    build({ cfg, data, app, log }) {
      const store = new TicketStore(data);
      registerReadiness(app, [storeCheck(data)]);
      mountMcp(app, {
        name: 'msi-ticketing',
        version: VERSION,
        ...mcpAccess(cfg),
        scopesSupported: [SCOPES.ticketsRead, SCOPES.ticketsWrite],
        readScope: SCOPES.ticketsRead,
        toolScopes: async () => (await tools()).TOOL_SCOPES,
        store: data,
        // The tools (and the MCP SDK values they use) are loaded after start-up, not before listening.
        build: async (server, caller) =>
          (await tools()).buildTicketingServer(server, { store, principal: caller, log }),
        preload: tools,
      });
    },
  });
}

const USAGE = 'usage: node services/ticketing seed [--tickets N] [--seed N] [--anchor YYYY-MM-DD]';

async function seedCli(args: string[]) {
  const usage = (why: string) => new UsageError(`${why}\n${USAGE}`);
  let values: { tickets?: string; seed?: string; anchor?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { tickets: { type: 'string' }, seed: { type: 'string' }, anchor: { type: 'string' } },
    }));
  } catch (err) {
    throw usage((err as Error).message);
  }
  const int = (name: string, v: string | undefined, def: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= max) return n;
    throw usage(`--${name} must be an integer 1-${max} (got ${v})`);
  };
  const tickets = int('tickets', values.tickets, 300, 1_000_000);
  const seed = int('seed', values.seed, 1042, 2 ** 31 - 1);
  const anchor = values.anchor === undefined ? undefined : new Date(`${values.anchor}T00:00:00Z`);
  if (anchor && Number.isNaN(anchor.getTime()))
    throw usage(`--anchor must be a date YYYY-MM-DD (got ${values.anchor})`);
  const db = parseConfig(databaseSpec(), process.env);
  const dataDir = resolve(process.env.MSI_DATA_DIR || './.data');
  const store = await openTicketingStore({
    dataDir,
    url: db.DATABASE_URL,
    connectTimeoutMs: db.DATABASE_CONNECT_TIMEOUT_MS,
  });
  const where = whereIs(store, dataDir, db.DATABASE_URL);
  try {
    if (!(await isEmpty(store.db))) {
      await store.close();
      exitWith(
        'ticketing seed',
        EXIT.wouldOverwrite,
        `${where} already has tickets; it is never overwritten (use a fresh MSI_DATA_DIR or database)`,
      );
    }
    const t = performance.now();
    const n = await seedTickets(store, { tickets, seed, ...(anchor ? { anchor } : {}) });
    process.stdout.write(`seeded ${n} tickets into ${where} in ${Math.round(performance.now() - t)} ms\n`);
  } finally {
    await store.close();
  }
}

if (process.argv[2] === 'seed') await runCommand('ticketing seed', () => seedCli(process.argv.slice(3)));
else if (process.argv[2] === 'directory')
  await runCommand('ticketing directory', async () =>
    (await import('./directory-cli.js')).directoryCli(process.argv.slice(3)),
  );
else await serve();
