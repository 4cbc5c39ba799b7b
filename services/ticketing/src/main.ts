/**
 * The ticketing MCP server (`node services/ticketing`), or with `seed` the bulk seed CLI:
 * `node services/ticketing seed --tickets 100000 [--seed N] [--anchor YYYY-MM-DD]` (into MSI_DATA_DIR, which
 * must be fresh; the same seed and anchor give the same data).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SCOPES,
  baseSpec,
  createHttpService,
  env,
  loadConfig,
  mountMcp,
  onShutdown,
  publicUrl,
} from '@msi/kit';
import { openTicketingDb, ticketingDbFile } from './db.js';
import { isEmpty, seedTickets } from './seed.js';
import { TicketStore } from './store/index.js';

const VERSION = '0.1.0';
const tools = () => import('./server.js');

async function serve() {
  const cfg = loadConfig('ticketing', {
    ...baseSpec(9000),
    IDP_ISSUER: env.url(),
    ALLOWED_HOSTS: env.list([]),
    ALLOWED_ORIGINS: env.list([]),
    SEED: env.int(0, 2 ** 31 - 1, 1042),
    SEED_TICKETS: env.int(0, 1_000_000, 300),
  });
  const http = createHttpService({
    name: 'ticketing',
    host: cfg.HOST,
    port: cfg.PORT,
    logLevel: cfg.LOG_LEVEL,
    version: VERSION,
  });
  const file = ticketingDbFile(resolve(cfg.MSI_DATA_DIR));
  const db = openTicketingDb(file);
  onShutdown(() => db.close());
  if (isEmpty(db) && cfg.SEED_TICKETS > 0) {
    const n = seedTickets(db, { tickets: cfg.SEED_TICKETS, seed: cfg.SEED });
    http.log.info({ tickets: n, file }, 'seeded a fresh data dir');
  }
  const store = new TicketStore(db);
  const resource = publicUrl(cfg);
  mountMcp(http.app, {
    name: 'msi-ticketing',
    version: VERSION,
    resource,
    issuer: cfg.IDP_ISSUER,
    scopesSupported: [SCOPES.ticketsRead, SCOPES.ticketsWrite],
    readScope: SCOPES.ticketsRead,
    toolScopes: async () => (await tools()).TOOL_SCOPES,
    allowedHosts: cfg.ALLOWED_HOSTS,
    allowedOrigins: cfg.ALLOWED_ORIGINS,
    // The tools (and the MCP SDK values they use) are loaded after start-up, not before listening.
    build: async (server, caller) =>
      (await tools()).buildTicketingServer(server, { store, principal: caller, log: http.log }),
    preload: tools,
  });
  await http.listen();
}

const USAGE = 'usage: node services/ticketing seed [--tickets N] [--seed N] [--anchor YYYY-MM-DD]';

function seedCli(args: string[]) {
  const fail = (why: string): never => {
    process.stderr.write(`ticketing seed: ${why}\n${USAGE}\n`);
    process.exit(64);
  };
  let values: { tickets?: string; seed?: string; anchor?: string } = {};
  try {
    ({ values } = parseArgs({
      args,
      options: { tickets: { type: 'string' }, seed: { type: 'string' }, anchor: { type: 'string' } },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const int = (name: string, v: string | undefined, def: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 && n <= max
      ? n
      : fail(`--${name} must be an integer 1-${max} (got ${v})`);
  };
  const tickets = int('tickets', values.tickets, 300, 1_000_000);
  const seed = int('seed', values.seed, 1042, 2 ** 31 - 1);
  const anchor = values.anchor === undefined ? undefined : new Date(`${values.anchor}T00:00:00Z`);
  if (anchor && Number.isNaN(anchor.getTime()))
    fail(`--anchor must be a date YYYY-MM-DD (got ${values.anchor})`);
  const file = ticketingDbFile(resolve(process.env.MSI_DATA_DIR || './.data'));
  const db = openTicketingDb(file);
  if (!isEmpty(db)) {
    process.stderr.write(
      `ticketing seed: ${file} already has tickets; it is never overwritten (use a fresh MSI_DATA_DIR)\n`,
    );
    process.exit(73);
  }
  const t = performance.now();
  const n = seedTickets(db, { tickets, seed, anchor });
  db.close();
  process.stdout.write(`seeded ${n} tickets into ${file} in ${Math.round(performance.now() - t)} ms\n`);
}

if (process.argv[2] === 'seed') seedCli(process.argv.slice(3));
else if (process.argv[2] === 'directory')
  (await import('./directory-cli.js')).directoryCli(process.argv.slice(3));
else await serve();
