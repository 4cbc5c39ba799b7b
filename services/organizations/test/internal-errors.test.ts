/**
 * Unexpected failures inside a tool (here: the event log's table gone from the real SQLite file under the
 * running server) are logged with the tool, the caller and the error, and answered generically: no SQL
 * reaches the client. Before the kit's guard, set_member_permissions answered "no such table: events" and
 * logged nothing.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from '@msi/kit';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';
import { exchangeToken, loginWithPassword, startIdp, type RunningIdp } from '../../../test/support/idp.js';

let idp: RunningIdp;
let orgs: RunningService;
let data: { dir: string; cleanup(): void };
let admin: Client;

beforeAll(async () => {
  data = tempDataDir('orgs-errors-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  idp = await startIdp({ audiences: { organizations: url } });
  orgs = await startService('organizations', { MSI_DATA_DIR: data.dir, IDP_ISSUER: idp.url }, { port });
  const login = await loginWithPassword(idp.url, 'admin');
  const token = await exchangeToken(idp.url, { subjectToken: login.access_token, resource: url });
  admin = new Client({ name: 'orgs-errors-test', version: '1.0.0' });
  await admin.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token.access_token}` } },
    }),
  );
});
afterAll(async () => {
  await admin?.close().catch(() => {});
  await orgs?.stop();
  await idp?.stop();
  data?.cleanup();
});

const call = (name: string, args: Record<string, unknown>) =>
  admin.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('a broken table', () => {
  it('set_member_permissions answers generically and logs the tool, the caller and the error', async () => {
    const missing = await call('get_organization', { organization: 'atlantis-police' });
    expect(text(missing)).toBe('organization "atlantis-police" not found');

    const db = new Database(`${data.dir}/organizations/organizations.sqlite`);
    db.exec('DROP TABLE events');
    db.close();

    const r = await call('set_member_permissions', {
      organization: 'dallas-police',
      username: 'james_smith',
      permissions: ['view_records'],
      reason: 'least privilege',
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe('set_member_permissions failed with an internal error; see the service log');
    expect(JSON.stringify(r)).not.toMatch(/events|SQLITE|no such table/);

    // The log line is written asynchronously: wait for it a moment.
    await vi.waitFor(() => expect(orgs.output()).toContain('"tool failed"'), { timeout: 5000 });
    const lines = orgs
      .output()
      .split('\n')
      .filter((l) => l.includes('"tool failed"'))
      .map((l) => JSON.parse(l) as { tool: string; caller: string; err: { message: string } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ tool: 'set_member_permissions', caller: 'admin' });
    expect(lines[0]!.err.message).toContain('no such table: events');

    // Nothing half-written: the permission change rolled back with the failed event insert.
    const after = await call('get_organization_users', {
      organization: 'dallas-police',
      query: 'james_smith',
    });
    const perms = (after.structuredContent as { members: { permissions: string[] }[] }).members[0]!
      .permissions;
    expect(perms).toContain('view_agency_users');

    const bad = await call('set_member_permissions', {
      organization: 'dallas-police',
      username: 'james_smith',
      permissions: ['fly'],
    });
    expect(text(bad)).toMatch(/must be one of view_records/);
  });
});
