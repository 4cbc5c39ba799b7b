/**
 * The real ticketing server for its tests: the built IDP and the built ticketing server as processes on
 * free ports, real tokens (login through the form, then token exchange as the API does), and the SDK
 * Client over Streamable HTTP (test/support). Also a fingerprint of the server's SQLite file to check
 * what was written.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { freePort } from '@msi/kit';
import { dbFile, openReadOnly, tempDataDir } from '../../../test/support/data-dir.js';
import { resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { connectMcp } from '../../../test/support/mcp.js';
import { startService, type RunningService } from '../../../test/support/services.js';

export { callTool as call, errorText } from '../../../test/support/mcp.js';

/** The IDP and the ticketing server, started for one test file (ticketing's test harness). */
export interface Harness {
  idp: RunningIdp;
  ticketing: RunningService;
  dataDir: string;
  dbFile: string;
  /** An access token for the ticketing server for `username` (token exchange; optional narrower scope). */
  token(username: string, scope?: string): Promise<string>;
  /** A connected SDK client calling as `username`. */
  client(username: string, scope?: string): Promise<Client>;
  stop(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ audiences: { ticketing: url } });
  const data = tempDataDir('msi-ticketing-');
  let ticketing: RunningService;
  try {
    ticketing = await startService(
      'ticketing',
      { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.issuer, ...env },
      { port, timeoutMs: 120_000 },
    );
  } catch (err) {
    await idp.stop();
    data.cleanup();
    throw err;
  }
  const clients: Client[] = [];
  const tokens = new Map<string, Promise<string>>();
  const token = (username: string, scope?: string) => {
    const key = `${username} ${scope ?? ''}`;
    if (!tokens.has(key)) tokens.set(key, resourceToken(idp.issuer, username, url, scope));
    return tokens.get(key)!;
  };
  return {
    idp,
    ticketing,
    dataDir: data.dir,
    dbFile: dbFile(data.dir, 'ticketing'),
    token,
    async client(username, scope) {
      const c = await connect(url, await token(username, scope));
      clients.push(c);
      return c;
    },
    async stop() {
      try {
        await Promise.allSettled(clients.map((c) => c.close()));
        await Promise.allSettled([ticketing.stop(), idp.stop()]);
      } finally {
        data.cleanup();
      }
    },
  };
}

/** A client of the ticketing server at `url` calling with `token`. */
export function connect(url: string, token: string): Promise<Client> {
  return connectMcp(`${url}/mcp`, token, 'ticketing-test');
}

/** Opens the server's SQLite file read-only (WAL: sees every committed write). */
export const openDb = openReadOnly;

/** A fingerprint of everything the server stores: equal before and after means nothing was written. */
export function snapshot(file: string): string {
  const db = openReadOnly(file);
  try {
    const h = createHash('sha256');
    for (const table of ['tickets', 'comments', 'events']) {
      for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY id`).iterate())
        h.update(JSON.stringify(row));
    }
    h.update(JSON.stringify(db.prepare('SELECT count(*) AS n FROM tickets_fts').get()));
    return h.digest('hex');
  } finally {
    db.close();
  }
}
