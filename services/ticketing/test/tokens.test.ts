/**
 * The server as an OAuth resource server, with real tokens from the real IDP: audience, scopes,
 * RFC 9728 metadata, service tokens; and the data dir rules (seeded once, never overwritten).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken, exchangeToken, loginWithPassword } from '../../../test/support/idp.js';
import { writeToolNames } from '@msi/kit';
import { TOOLS } from '../src/tools/index.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import { startService } from '../../../test/support/services.js';
import { call, connect, errorText, openDb, snapshot, startHarness, type Harness } from './harness.js';

let stack: Harness;
beforeAll(async () => {
  stack = await startHarness();
});
afterAll(() => stack?.stop());

const rpc = (token: string | undefined, method: string, params: Record<string, unknown>) =>
  fetch(`${stack.ticketing.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
const createArgs = {
  name: 'create_ticket',
  arguments: { title: 'Dock offline', description: 'Offline since Monday.' },
};

describe('tokens', () => {
  it('publishes protected-resource metadata (RFC 9728), for /mcp naming the /mcp resource (§3.3)', async () => {
    const res = await fetch(`${stack.ticketing.url}/.well-known/oauth-protected-resource`);
    expect(await res.json()).toMatchObject({
      resource: stack.ticketing.url,
      authorization_servers: [stack.idp.issuer],
      scopes_supported: ['tickets:read', 'tickets:write'],
    });
    const mcp = await fetch(`${stack.ticketing.url}/.well-known/oauth-protected-resource/mcp`);
    expect(await mcp.json()).toMatchObject({
      resource: `${stack.ticketing.url}/mcp`,
      authorization_servers: [stack.idp.issuer],
    });
  });

  it('refuses a request without a token: 401 naming the metadata and the scope, with no error code', async () => {
    const res = await rpc(undefined, 'tools/list', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer scope="tickets:read", resource_metadata="${stack.ticketing.url}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('refuses tokens for another audience (the API, the organizations server): 401 with resource_metadata', async () => {
    const login = await loginWithPassword(stack.idp.issuer, 'admin');
    const orgs = await exchangeToken(stack.idp.issuer, {
      subjectToken: login.access_token,
      resource: stack.idp.audiences.organizations,
    });
    for (const token of [login.access_token, orgs.access_token]) {
      const res = await rpc(token, 'tools/list', {});
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer error="invalid_token"/);
      expect(challenge).toContain('wrong audience');
      expect(challenge).toContain(
        `resource_metadata="${stack.ticketing.url}/.well-known/oauth-protected-resource/mcp"`,
      );
      await expect(connect(stack.ticketing.url, token)).rejects.toThrow(/wrong audience/);
    }
  });

  it('a read-only token reads, and its writes are refused with 403 insufficient_scope, nothing written', async () => {
    const token = await stack.token('alex_agent', 'tickets:read');
    const client = await connect(stack.ticketing.url, token);
    const r = await call(client, 'search_tickets', { limit: 1 });
    expect(r.isError, errorText(r)).toBeFalsy();
    const before = snapshot(stack.dbFile);
    for (const name of ['create_ticket', 'update_ticket', 'add_comment', 'resolve_ticket']) {
      const res = await rpc(token, 'tools/call', { ...createArgs, name });
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toMatch(
        /error="insufficient_scope".*scope="tickets:read tickets:write"/,
      );
      expect(await res.json()).toMatchObject({ error: 'insufficient_scope' });
    }
    await expect(client.callTool(createArgs)).rejects.toThrow(/403|insufficient_scope/);
    expect(snapshot(stack.dbFile)).toBe(before);
    await client.close();
  });

  it('a token exchanged without a scope can write (tickets:read and tickets:write)', async () => {
    const client = await stack.client('alex_agent');
    const r = await call(client, 'create_ticket', { ...createArgs.arguments, org: 'dallas-police' });
    expect(r.isError, errorText(r)).toBeFalsy();
  });

  it('a client-credentials token (no person, no roles) sees nothing and changes nothing', async () => {
    const { access_token } = await clientCredentialsToken(stack.idp.issuer, {
      resource: stack.ticketing.url,
    });
    const client = await connect(stack.ticketing.url, access_token);
    const s = await call(client, 'search_tickets', {});
    expect(s.structuredContent).toMatchObject({ total: 0, tickets: [] });
    const stats = await call(client, 'ticket_stats', {});
    expect(stats.structuredContent).toMatchObject({ total: 0 });
    expect(errorText(await call(client, 'get_ticket', { number: 'TCK-1001' }))).toBe(
      'ticket TCK-1001 not found',
    );
    const before = snapshot(stack.dbFile);
    const w = await client
      .callTool({ name: 'create_ticket', arguments: { ...createArgs.arguments, org: 'dallas-police' } })
      .catch((e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
    expect(w.isError).toBe(true);
    expect(snapshot(stack.dbFile)).toBe(before);
    await client.close();
  });

  it('answers malformed requests with a clear error and keeps running', async () => {
    const token = await stack.token('admin');
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const bad = await fetch(`${stack.ticketing.url}/mcp`, {
      method: 'POST',
      headers,
      body: '{"jsonrpc": "2.0", ',
    });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${stack.ticketing.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { pad: 'x'.repeat(2_000_000) },
      }),
    });
    expect(huge.status).toBe(413);
    const get = await fetch(`${stack.ticketing.url}/mcp`, { headers });
    expect(get.status).toBe(405);
    expect((await fetch(`${stack.ticketing.url}/healthz`)).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    const token = await stack.token('admin');
    // fetch() will not send a foreign Host header; node:http will.
    const hostStatus = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${stack.ticketing.url}/mcp`,
        {
          method: 'POST',
          headers: {
            host: 'evil.example',
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(hostStatus).toBe(403);
    const origin = await fetch(`${stack.ticketing.url}/mcp`, {
      method: 'POST',
      headers: {
        origin: 'http://evil.example',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(origin.status).toBe(403);
  });
});

describe('protocol edge cases (real HTTP)', () => {
  const result = async (res: Response) =>
    (await res.json()) as {
      result?: { isError?: boolean; content?: { text: string }[] };
      error?: { code: number; message: string };
    };
  const message = (b: Awaited<ReturnType<typeof result>>) =>
    b.error?.message ?? b.result?.content?.[0]?.text ?? '';

  it('a tool named after an Object.prototype member is an unknown tool, for any token', async () => {
    for (const scope of [undefined, 'tickets:read']) {
      const token = await stack.token('admin', scope);
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        const res = await rpc(token, 'tools/call', { name, arguments: {} });
        expect(res.status, name).toBe(200);
        const body = await result(res);
        expect(message(body), name).toMatch(new RegExp(`Tool ${name} not found`));
      }
    }
  });

  it('tools/call with arguments null is an invalid-params error without a schema dump', async () => {
    const token = await stack.token('admin');
    for (const name of ['search_tickets', 'create_ticket']) {
      const res = await rpc(token, 'tools/call', { name, arguments: null });
      expect(res.status, name).toBe(200);
      const body = await result(res);
      expect(body.error?.code, JSON.stringify(body)).toBe(-32602);
      expect(body.error?.message).toMatch(/arguments must be an object/);
      expect(body.error?.message).not.toMatch(/invalid_type|"code"|expected/);
    }
  });
});

describe('catalog', () => {
  it('lists every tool with a title, annotations, an output schema and self-contained schemas', async () => {
    const client = await stack.client('alex_agent');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'add_comment',
      'create_ticket',
      'get_ticket',
      'resolve_ticket',
      'search_tickets',
      'ticket_stats',
      'update_ticket',
    ]);
    // The write flag of each definition is what clients see as not read-only.
    const writes = tools.filter((t) => t.annotations?.readOnlyHint === false).map((t) => t.name);
    expect(writes.sort()).toEqual(['add_comment', 'create_ticket', 'resolve_ticket', 'update_ticket']);
    expect(writeToolNames(TOOLS).sort()).toEqual(writes);
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.outputSchema, t.name).toBeTruthy();
      expect(typeof t.annotations?.readOnlyHint, t.name).toBe('boolean');
      expect(typeof t.annotations?.destructiveHint, t.name).toBe('boolean');
      expect(typeof t.annotations?.idempotentHint, t.name).toBe('boolean');
      // Some model APIs reject JSON Schema references in tool parameters.
      expect(JSON.stringify(t.inputSchema), t.name).not.toContain('$ref');
    }
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toEqual(['ticket://{number}']);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['draft_reply', 'summarize_ticket']);
  });
});

describe('data dir', () => {
  it('seeds a fresh data dir once and never overwrites an existing one', async () => {
    const db = openDb(stack.dbFile);
    expect((db.prepare('SELECT count(*) AS n FROM tickets WHERE id < 1301').get() as { n: number }).n).toBe(
      300,
    );
    db.close();

    const data = tempDataDir('msi-ticketing-existing-');
    try {
      const env = { MSI_DATA_DIR: data.dir, IDP_ISSUER: stack.idp.issuer, SEED_TICKETS: '12' };
      let svc = await startService('ticketing', env);
      await svc.stop();
      const file = `${data.dir}/ticketing/ticketing.sqlite`;
      const first = snapshot(file);
      const db12 = openDb(file);
      expect((db12.prepare('SELECT count(*) AS n FROM tickets').get() as { n: number }).n).toBe(12);
      db12.close();
      svc = await startService('ticketing', { ...env, SEED_TICKETS: '50', SEED: '7' });
      await svc.stop();
      expect(snapshot(file)).toBe(first);
    } finally {
      data.cleanup();
    }
  });
});
