/**
 * The ticketing MCP server (`node services/ticketing`), or with `seed` the bulk seed CLI:
 * `node services/ticketing seed --tickets 100000 [--seed N]` (into MSI_DATA_DIR, which must be fresh).
 */
import { resolve } from 'node:path';
import {
  SCOPES,
  baseSpec,
  createHttpService,
  createTokenVerifier,
  env,
  loadConfig,
  mountMcp,
  onShutdown,
  publicUrl,
} from '@msi/kit';
import { openTicketingDb, ticketingDbFile } from './db.js';
import { isEmpty, seedTickets } from './seed.js';
import { buildTicketingServer, WRITE_TOOLS } from './server.js';
import { TicketStore } from './store.js';

const VERSION = '0.1.0';

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
    verifier: createTokenVerifier({ issuer: cfg.IDP_ISSUER, audience: resource }),
    scopesSupported: [SCOPES.ticketsRead, SCOPES.ticketsWrite],
    readScope: SCOPES.ticketsRead,
    writeTools: WRITE_TOOLS,
    allowedHosts: cfg.ALLOWED_HOSTS,
    allowedOrigins: cfg.ALLOWED_ORIGINS,
    build: (server, caller) => buildTicketingServer(server, { store, caller }),
  });
  await http.listen();
}

function seedCli(args: string[]) {
  const opts: Record<string, number> = { tickets: 300, seed: 1042 };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]?.replace(/^--/, '') ?? '';
    const value = Number(args[i + 1]);
    if (!(name in opts) || !Number.isInteger(value) || value < 0) {
      process.stderr.write(
        `usage: node services/ticketing seed [--tickets N] [--seed N]  (bad argument ${args[i]} ${args[i + 1] ?? ''})\n`,
      );
      process.exit(64);
    }
    opts[name] = value;
  }
  const file = ticketingDbFile(resolve(process.env.MSI_DATA_DIR || './.data'));
  const db = openTicketingDb(file);
  if (!isEmpty(db)) {
    process.stderr.write(
      `ticketing seed: ${file} already has tickets; it is never overwritten (use a fresh MSI_DATA_DIR)\n`,
    );
    process.exit(73);
  }
  const t = performance.now();
  const n = seedTickets(db, { tickets: opts.tickets, seed: opts.seed });
  db.close();
  process.stdout.write(`seeded ${n} tickets into ${file} in ${Math.round(performance.now() - t)} ms\n`);
}

if (process.argv[2] === 'seed') seedCli(process.argv.slice(3));
else await serve();
