/**
 * The ticketing MCP server (`node services/ticketing`, configured by the environment: README.md), or with
 * `seed` the bulk seed CLI: `node services/ticketing seed --tickets 100000 [--seed N] [--anchor YYYY-MM-DD]`
 * (into MSI_DATA_DIR, which must be fresh; the same seed and anchor give the same data).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, exitWith, mountMcp, runCommand, runService, SCOPES, UsageError } from '@msi/kit';
import { parseTicketingConfig } from './config.js';
import { openTicketingDb, ticketingDbFile } from './db.js';
import { isEmpty, seedTickets } from './seed.js';
import { TicketStore } from './store/index.js';

const VERSION = '0.1.0';
const tools = () => import('./server.js');

function serve() {
  return runService({
    name: 'ticketing',
    version: VERSION,
    config: parseTicketingConfig,
    open(cfg, log) {
      const file = ticketingDbFile(resolve(cfg.MSI_DATA_DIR));
      const db = openTicketingDb(file);
      if (isEmpty(db) && cfg.SEED_TICKETS > 0) {
        const n = seedTickets(db, { tickets: cfg.SEED_TICKETS, seed: cfg.SEED });
        log.info({ tickets: n, file }, 'seeded a fresh data dir');
      }
      return db;
    },
    build({ cfg, data: db, app, log }) {
      const store = new TicketStore(db);
      mountMcp(app, {
        name: 'msi-ticketing',
        version: VERSION,
        resource: cfg.resource,
        issuer: cfg.IDP_ISSUER,
        scopesSupported: [SCOPES.ticketsRead, SCOPES.ticketsWrite],
        readScope: SCOPES.ticketsRead,
        toolScopes: async () => (await tools()).TOOL_SCOPES,
        allowedHosts: cfg.ALLOWED_HOSTS,
        allowedOrigins: cfg.ALLOWED_ORIGINS,
        // The tools (and the MCP SDK values they use) are loaded after start-up, not before listening.
        build: async (server, caller) =>
          (await tools()).buildTicketingServer(server, { store, principal: caller, log }),
        preload: tools,
      });
    },
  });
}

const USAGE = 'usage: node services/ticketing seed [--tickets N] [--seed N] [--anchor YYYY-MM-DD]';

function seedCli(args: string[]) {
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
  const file = ticketingDbFile(resolve(process.env.MSI_DATA_DIR || './.data'));
  const db = openTicketingDb(file);
  if (!isEmpty(db)) {
    db.close();
    exitWith(
      'ticketing seed',
      EXIT.wouldOverwrite,
      `${file} already has tickets; it is never overwritten (use a fresh MSI_DATA_DIR)`,
    );
  }
  const t = performance.now();
  const n = seedTickets(db, { tickets, seed, anchor });
  db.close();
  process.stdout.write(`seeded ${n} tickets into ${file} in ${Math.round(performance.now() - t)} ms\n`);
}

if (process.argv[2] === 'seed') await runCommand('ticketing seed', () => seedCli(process.argv.slice(3)));
else if (process.argv[2] === 'directory')
  await runCommand('ticketing directory', async () =>
    (await import('./directory-cli.js')).directoryCli(process.argv.slice(3)),
  );
else await serve();
