/**
 * The organizations server on PostgreSQL when its database goes away and comes back (a TCP proxy between
 * them is cut): /readyz fails naming the database, MCP requests answer 503 `unavailable` (or a tool error
 * naming it, for the call that found out), a permission change in the outage writes nothing, and the
 * server recovers by itself when the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { freePort } from '@msi/kit';
import {
  backends,
  freshDatabase,
  pgQuery,
  tcpProxy,
  type FreshDatabase,
  type TcpProxy,
} from '../../../test/support/database.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import { resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { callTool, connectMcp } from '../../../test/support/mcp.js';
import { startService, type RunningService } from '../../../test/support/services.js';

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe.runIf(backends().includes('postgres'))('organizations server, database outage', () => {
  let pgdb: FreshDatabase;
  let proxy: TcpProxy;
  let idp: RunningIdp;
  let orgs: RunningService;
  let token: string;
  let admin: Client;
  const data = tempDataDir('orgs-outage-');

  beforeAll(async () => {
    pgdb = await freshDatabase('orgs_outage');
    proxy = await tcpProxy();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    idp = await startIdp({ audiences: { organizations: url } });
    orgs = await startService(
      'organizations',
      { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.url, DATABASE_URL: proxy.via(pgdb.url) },
      { port },
    );
    token = await resourceToken(idp.url, 'admin', url, 'orgs:read orgs:write');
    admin = await connectMcp(`${url}/mcp`, token);
  });
  afterAll(async () => {
    await admin?.close().catch(() => {});
    await orgs?.stop();
    await idp?.stop();
    await proxy?.close();
    await pgdb?.drop();
    data.cleanup();
  });

  const events = async () =>
    (await pgQuery<{ n: number }>(pgdb.url, 'SELECT count(*)::int AS n FROM events'))[0]!.n;

  it('fails readiness and answers 503 while it is away, writes nothing, and recovers by itself', async () => {
    expect((await readyz(orgs.url)).status).toBe(200);
    expect(
      (await callTool(admin, 'get_organization', { organization: 'dallas-police' })).isError,
    ).toBeFalsy();
    const n0 = await events();

    await proxy.cut();
    const down = await readyz(orgs.url);
    expect(down.status).toBe(503);
    expect(JSON.stringify(down.body.checks)).toContain('the organizations database is unavailable');

    // The call that finds out: a tool error naming the database (or the mount's 503, if it knew already).
    const first = await callTool(admin, 'set_member_permissions', {
      organization: 'allen-firestation',
      username: 'linda_baker',
      permissions: ['view_records', 'edit_records'],
      reason: 'outage',
    }).catch((e: Error) => e);
    expect(
      first instanceof Error ? first.message : JSON.stringify((first as { content: unknown }).content),
    ).toMatch(/organizations database is unavailable|503/);

    // Every request after it: 503 `unavailable` from the mount, before any tool runs.
    const res = await fetch(`${orgs.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: 'unavailable',
      message: expect.stringContaining('the organizations database is unavailable'),
    });

    await proxy.restore();
    let ready = 0;
    for (let i = 0; i < 40 && ready !== 200; i++) {
      ready = (await readyz(orgs.url)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(200);
    expect(await events()).toBe(n0); // the change in the outage wrote nothing
    const again = await callTool(admin, 'set_member_permissions', {
      organization: 'allen-firestation',
      username: 'linda_baker',
      permissions: ['view_records', 'edit_records'],
      reason: 'after the outage',
    });
    expect(again.isError).toBeFalsy();
    expect(await events()).toBe(n0 + 1);
  });
});
