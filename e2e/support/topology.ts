/**
 * The running topology as it reports itself (`<data dir>/topology.json`, main/src/node/topology): public
 * URLs, the certificate, each instance and the PostgreSQL database of each service — the system of
 * record the topology project's journeys check the app against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { TopologyFile } from '../../main/src/node/topology/topology.js';
import { pgQuery } from '../../test/support/database.js';

export function readTopology(dataDir: string): TopologyFile {
  const file = join(dataDir, 'topology.json');
  return JSON.parse(readFileSync(file, 'utf8')) as TopologyFile;
}

/** One query on a service's database of the topology in `dataDir`. */
export function topologyQuery<T extends pg.QueryResultRow>(
  dataDir: string,
  service: 'ticketing' | 'organizations' | 'api' | 'idp',
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const url = readTopology(dataDir).databases[service];
  if (!url) throw new Error(`no ${service} database in ${dataDir}/topology.json`);
  return pgQuery<T>(url, text, values);
}
