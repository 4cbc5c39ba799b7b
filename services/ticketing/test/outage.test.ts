/**
 * The database going away under a running server (PostgreSQL, through a TCP proxy the test cuts and
 * restores): /readyz fails naming the database, MCP requests answer 503 `unavailable` naming it, a write
 * attempted meanwhile leaves nothing half-written, and the server recovers by itself when it is back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '@msi/kit';
import {
  freshDatabase,
  tcpProxy,
  testServerUrl,
  type FreshDatabase,
  type TcpProxy,
} from '../../../test/support/database.js';
import { resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import { startService, type RunningService } from '../../../test/support/services.js';
import { call, connect, errorText, queryDb, snapshot, type DbTarget } from './harness.js';

describe.skipIf(!testServerUrl())('the ticketing database going away (PostgreSQL)', () => {
  let idp: RunningIdp;
  let database: FreshDatabase;
  let proxy: TcpProxy;
  let ticketing: RunningService;
  let token: string;
  let target: DbTarget;
  const data = tempDataDir('msi-ticketing-outage-');

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    idp = await startIdp({ audiences: { ticketing: url } });
    database = await freshDatabase('outage');
    target = { backend: 'postgres', url: database.url };
    proxy = await tcpProxy();
    ticketing = await startService(
      'ticketing',
      {
        MSI_DATA_DIR: data.dir,
        IDP_ISSUER: idp.issuer,
        SEED_TICKETS: '20',
        DATABASE_URL: proxy.via(database.url),
      },
      { port },
    );
    token = await resourceToken(idp.issuer, 'admin', url);
  });
  afterAll(async () => {
    await ticketing?.stop();
    await proxy?.close();
    await idp?.stop();
    await database?.drop();
    data.cleanup();
  });

  const ready = () => fetch(`${ticketing.url}/readyz`);
  const rpc = (body: unknown) =>
    fetch(`${ticketing.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(body),
    });

  it('is ready while the database answers', async () => {
    const r = await ready();
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true } } });
  });

  it('fails readiness, answers 503 naming the database, writes nothing, and recovers by itself', async () => {
    const client = await connect(ticketing.url, token);
    expect((await call(client, 'get_ticket', { number: 'TCK-1001' })).isError).toBeFalsy();
    const before = await snapshot(target);

    await proxy.cut();
    // A call already under way when the database goes: a tool error naming the database, not a crash.
    const during = await call(client, 'add_comment', {
      number: 'TCK-1001',
      body: 'Written during the outage',
    });
    expect(during.isError).toBe(true);
    expect(errorText(during)).toMatch(/the ticketing database is unavailable/);

    const r = await ready();
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({
      status: 'not_ready',
      message: 'not ready: database is unavailable',
      checks: {
        database: { ok: false, detail: expect.stringMatching(/the ticketing database is unavailable/) },
      },
    });
    const res = await rpc({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'create_ticket',
        arguments: { org: 'dallas-police', title: 'During', description: 'x' },
      },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(await res.json()).toMatchObject({
      error: 'unavailable',
      message: expect.stringMatching(/^the ticketing database is unavailable/),
    });
    expect((await fetch(`${ticketing.url}/healthz`)).status).toBe(200);

    await proxy.restore();
    await vi.waitFor(async () => expect((await ready()).status).toBe(200), {
      timeout: 20_000,
      interval: 250,
    });
    // Nothing of the refused writes reached the database.
    expect(await snapshot(target)).toBe(before);
    const after = await call(client, 'add_comment', { number: 'TCK-1001', body: 'Written after the outage' });
    expect(after.isError, errorText(after)).toBeFalsy();
    const bodies = await queryDb<{ body: string }>(
      target,
      'SELECT body FROM comments WHERE ticket_id = 1001',
    );
    expect(bodies.map((b) => b.body)).toContain('Written after the outage');
    expect(bodies.map((b) => b.body)).not.toContain('Written during the outage');
    await client.close();
    expect(ticketing.proc.exitCode).toBeNull();
  });
});
