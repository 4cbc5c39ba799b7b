/**
 * `npm run topology -- [--port 8443] [--data-dir DIR] [--database-url URL] [--db-prefix msi]
 * [--redis-url URL] [--allow-origin ORIGIN]…`: the production topology on this machine (topology.ts).
 * Prints the URL and the cold-start time, keeps DIR/topology.json current, stops everything on
 * Ctrl-C / SIGTERM. A problem (port in use, missing binary, unreachable PostgreSQL) is one line.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, type ExitCode } from '@msi/kit/exit-codes';
import { DataDirProblem } from '../data-dir.js';
import { TopologyProblem } from './infra.js';
import { PUBLIC_SERVICES } from './plan.js';
import { DEFAULT_WEB_PORT, Topology } from './topology.js';

const USAGE =
  'usage: npm run topology -- [--port 8443] [--data-dir DIR] [--database-url postgres://root@127.0.0.1:5432] [--db-prefix msi] [--redis-url redis://127.0.0.1:6379] [--allow-origin http://127.0.0.1:4200]…';

/** The desktop app's host (npm run stack, Electron): its renderer may sign in here in Remote mode. */
const DESKTOP_ORIGINS = ['http://127.0.0.1:4200', 'http://localhost:4200'];

const EXIT_OF: Record<TopologyProblem['kind'], ExitCode> = {
  binary: EXIT.config,
  port: EXIT.portInUse,
  database: EXIT.unavailable,
  redis: EXIT.unavailable,
  build: EXIT.config,
  start: EXIT.crash,
};

export async function runTopology(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        'db-prefix': { type: 'string' },
        'redis-url': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`, EXIT.usage);
  }
  if (values.help) return void console.log(USAGE);
  const port = values.port === undefined ? DEFAULT_WEB_PORT : Number(values.port);
  if (!(Number.isInteger(port) && port > 0 && port + 4 < 65536))
    return fail(
      `--port must be a port number 1-65531 (it and the next four are used; got ${values.port})`,
      EXIT.usage,
    );
  const prefix = values['db-prefix'] ?? process.env.MSI_TOPOLOGY_DB_PREFIX ?? 'msi';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix))
    return fail(`--db-prefix must be lower-case letters, digits and _ (got ${prefix})`, EXIT.usage);
  for (const o of values['allow-origin'] ?? [])
    if (!URL.canParse(o) || new URL(o).origin !== o.replace(/\/+$/, ''))
      return fail(`--allow-origin must be an origin such as http://127.0.0.1:4200 (got ${o})`, EXIT.usage);

  let topology: Topology;
  try {
    topology = new Topology({
      dataDir: values['data-dir'] ?? process.env.MSI_DATA_DIR ?? './.topology',
      port,
      databaseUrl: values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432',
      dbPrefix: prefix,
      redisUrl: values['redis-url'] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      extraOrigins: [...DESKTOP_ORIGINS, ...(values['allow-origin'] ?? []).map((o) => o.replace(/\/+$/, ''))],
    });
  } catch (err) {
    if (err instanceof DataDirProblem) return fail(err.message, EXIT.dataUnusable);
    throw err;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`topology: ${signal}, stopping…`);
    await topology.stop();
    console.log('topology: stopped');
    process.exit(0);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => void stop(s));

  console.log(`topology: starting in ${topology.dataDir} (nginx on ${port}-${port + 4})…`);
  let coldStartMs: number;
  try {
    coldStartMs = await topology.start();
  } catch (err) {
    await topology.stop().catch(() => undefined);
    if (err instanceof TopologyProblem) return fail(err.message, EXIT_OF[err.kind]);
    throw err;
  }
  const snap = topology.snapshot();
  console.log(`MSI Assistant topology: ${topology.webUrl}   (self-signed certificate: ${topology.certFile})`);
  for (const s of PUBLIC_SERVICES) {
    const n = snap.instances.filter((i) => i.service === s).length;
    console.log(`  ${s.padEnd(13)} ${topology.publicUrls[s]}  ← ${n} instance${n > 1 ? 's' : ''}`);
  }
  console.log(
    `  redis ${snap.redis.url}${snap.redis.own ? ' (our own)' : ''} · PostgreSQL databases ${prefix}_*`,
  );
  console.log(`topology: cold start ${coldStartMs} ms (all /readyz through nginx) · Ctrl-C stops`);
}

function fail(message: string, code: ExitCode): never {
  console.error(`topology: ${message}`);
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runTopology(process.argv.slice(2)).catch((err: Error) => fail(err.stack ?? err.message, EXIT.crash));
}
