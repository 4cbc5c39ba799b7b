/**
 * The real stack for ticketing tests: the built IDP and the built ticketing server as processes on free
 * ports, real tokens (login through the form, then token exchange as the API does), and the SDK Client
 * over Streamable HTTP. Also a read-only view of the server's SQLite file to check what was written.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from '@msi/kit';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';
import { exchangeToken, loginWithPassword, startIdp, type RunningIdp } from '../../../test/support/idp.js';

export interface Stack {
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

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
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
    if (!tokens.has(key)) {
      tokens.set(
        key,
        (async () => {
          const login = await loginWithPassword(idp.issuer, username);
          const t = await exchangeToken(idp.issuer, {
            subjectToken: login.access_token,
            resource: url,
            scope,
          });
          return t.access_token;
        })(),
      );
    }
    return tokens.get(key)!;
  };
  return {
    idp,
    ticketing,
    dataDir: data.dir,
    dbFile: join(data.dir, 'ticketing', 'ticketing.sqlite'),
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

export async function connect(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'ticketing-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** Calls a tool; returns the result (tool errors are results with isError). */
export async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & {
    structuredContent?: Record<string, unknown>;
  };
}

export const errorText = (r: CallToolResult) => (r.isError ? (r.content[0] as { text: string }).text : '');

/** Opens the server's SQLite file read-only (WAL: sees every committed write). */
export function openDb(file: string) {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** A fingerprint of everything the server stores: equal before and after means nothing was written. */
export function snapshot(file: string): string {
  const db = openDb(file);
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
