/**
 * The topology (npm run topology; docs/topology.md): cold start to "every instance's /readyz and every
 * public origin through nginx answers" — first on fresh PostgreSQL databases (migrations, demo seed, the
 * documentation ingested into Chroma), then again on the same data (a restart) — and what nginx's TLS
 * termination adds to one small request (GET /healthz through nginx vs. the instance directly, both on a
 * kept-alive connection). Needs `npx tsc -b tsconfig.build.json` and the built renderer first.
 */
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { dropDatabases, freePortRun } from '../main/src/node/topology/infra.js';
import { DATABASE_SERVICES, databaseName } from '../main/src/node/topology/plan.js';
import { Topology } from '../main/src/node/topology/topology.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { figure, latencyFigures, printFigures, timeMany } from './lib.js';

const DB_URL = process.env.MSI_TEST_DATABASE_URL || 'postgres://root@127.0.0.1:5432';
const prefix = `msi_b_topo_${randomBytes(3).toString('hex')}`;
const dir = tempDataDir('msi-bench-topology-');

function get(url: string, agent: HttpAgent | HttpsAgent): Promise<void> {
  const req = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    req(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
      );
    })
      .on('error', reject)
      .end();
  });
}

async function once(port: number): Promise<Topology> {
  const t = new Topology({ dataDir: dir.dir, port, databaseUrl: DB_URL, dbPrefix: prefix });
  await t.start();
  return t;
}

try {
  const port = await freePortRun(5);
  const fresh = await once(port);
  const freshMs = fresh.snapshot().coldStartMs!;
  const ca = readFileSync(fresh.certFile, 'utf8');
  const api = fresh.snapshot().instances.find((i) => i.id === 'api-1')!;
  const tls = new HttpsAgent({ ca, keepAlive: true, maxSockets: 1 });
  const plain = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const viaNginx = await timeMany(300, () => get(`${fresh.publicUrls.api}/healthz`, tls), 30);
  const direct = await timeMany(300, () => get(`${api.url}/healthz`, plain), 30);
  tls.destroy();
  plain.destroy();
  await fresh.stop();

  const again = await once(port);
  const restartMs = again.snapshot().coldStartMs!;
  await again.stop();

  console.log(
    '  (IDP, 2 ticketing, 2 organizations, 3 API, Chroma, nginx; PostgreSQL and Redis already running)',
  );
  figure('topology_cold_start_fresh_databases_ms', freshMs, 'ms');
  figure('topology_cold_start_existing_data_ms', restartMs, 'ms');
  latencyFigures('topology_healthz_through_nginx', viaNginx);
  latencyFigures('topology_healthz_direct', direct);
  printFigures();
} finally {
  await dropDatabases(
    DB_URL,
    DATABASE_SERVICES.map((s) => databaseName(prefix, s)),
  ).catch(() => undefined);
  dir.cleanup();
}
