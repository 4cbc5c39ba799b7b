/**
 * Who may do what at the API, over the real stack: conversations are per person (someone else's is 404
 * for read, rename, delete and new messages), only tokens for this API held by a person are accepted,
 * the per-person rate limit, input caps, CORS, tools per role, /readyz naming what is down, /metrics.
 * What touches the API's database (conversations, the knowledge base) runs on both backends: the
 * stack's API on SQLite, and with PostgreSQL a second API process (startApi) on a fresh database.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { clientCredentialsToken, exchangeToken } from '../../../test/support/idp.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { backends, freshDatabase, type Backend as DbBackend } from '../../../test/support/database.js';

let stack: Backend;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startBackend({ apiEnv: { ALLOWED_ORIGINS: 'http://127.0.0.1:4200' } });
  for (const u of ['james_smith', 'linda_baker', 'alex_agent', 'admin']) tokens[u] = await stack.login(u);
});
const dropLater: (() => Promise<void>)[] = [];
afterAll(async () => {
  await stack?.stop();
  for (const drop of dropLater) await drop();
});

/** The API the running block talks to: the stack's, or one on PostgreSQL (see onBackend). */
let apiUrl = '';
const api = (user: string, method: string, path: string, body?: unknown) =>
  call<Record<string, unknown>>(apiUrl || stack.api.url, tokens[user]!, method, path, body);

/** Points `api` at an API process on `backend` for the block's tests (started once, ready). */
function onBackend(backend: DbBackend): void {
  let url: string | undefined;
  beforeAll(async () => {
    if (backend === 'sqlite') url = stack.api.url;
    url ??= await postgresApi();
    apiUrl = url;
  });
  afterAll(() => {
    apiUrl = '';
  });
}

let pgApi: Promise<string> | undefined;
function postgresApi(): Promise<string> {
  pgApi ??= (async () => {
    const pg = await freshDatabase('api_security');
    dropLater.push(() => pg.drop());
    const svc = await stack.startApi({ DATABASE_URL: pg.url });
    for (let i = 0; i < 300 && (await fetch(`${svc.url}/readyz`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 200));
    return svc.url;
  })();
  return pgApi;
}

describe.each(backends())('conversations are per person (%s)', (backend) => {
  onBackend(backend);

  it("another person's conversation does not exist for them", async () => {
    const mine = await api('james_smith', 'POST', '/api/conversations', { title: 'James only' });
    expect(mine.status).toBe(201);
    const id = String(mine.body.id);
    expect((await api('linda_baker', 'GET', `/api/conversations/${id}`)).status).toBe(404);
    expect((await api('linda_baker', 'PATCH', `/api/conversations/${id}`, { title: 'stolen' })).status).toBe(
      404,
    );
    expect((await api('linda_baker', 'DELETE', `/api/conversations/${id}`)).status).toBe(404);
    const turn = await sendMessage(apiUrl, tokens.linda_baker!, id, 'hello');
    expect(turn.status).toBe(404);
    const theirs = await api('linda_baker', 'GET', '/api/conversations');
    expect((theirs.body.conversations as { id: string }[]).map((c) => c.id)).not.toContain(id);

    const still = await api('james_smith', 'GET', `/api/conversations/${id}`);
    expect(still.body).toMatchObject({ id, title: 'James only', messages: [] });
    const renamed = await api('james_smith', 'PATCH', `/api/conversations/${id}`, { title: 'Renamed' });
    expect(renamed.body).toMatchObject({ id, title: 'Renamed' });
    const found = await api('james_smith', 'GET', '/api/conversations?q=renam');
    expect((found.body.conversations as { id: string }[]).map((c) => c.id)).toEqual([id]);
    expect((await api('james_smith', 'DELETE', `/api/conversations/${id}`)).status).toBe(204);
    expect((await api('james_smith', 'GET', `/api/conversations/${id}`)).status).toBe(404);
  });

  it('bad input gets a clear error', async () => {
    const c = await api('james_smith', 'POST', '/api/conversations', {});
    const id = String(c.body.id);
    expect(await api('james_smith', 'PATCH', `/api/conversations/${id}`, { title: '' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: 'title: title must not be empty' },
    });
    const long = await sendMessage(apiUrl, tokens.james_smith!, id, 'x'.repeat(8001));
    expect(long.status).toBe(413);
    expect(long.events[0]!.data).toMatchObject({
      error: 'payload_too_large',
      message: 'content is 8001 characters; the limit is 8000',
    });
    const empty = await sendMessage(apiUrl, tokens.james_smith!, id, '   ');
    expect(empty.events[0]!.data).toMatchObject({
      error: 'invalid_request',
      message: 'content: content must not be empty',
    });
    const half = await sendMessage(apiUrl, tokens.james_smith!, id, 'my tickets \ud83d');
    expect(half.events[0]!.data).toMatchObject({
      error: 'invalid_request',
      message: 'content: content is not well-formed Unicode (half of a surrogate pair)',
    });
    expect(
      await api('james_smith', 'PATCH', `/api/conversations/${id}`, { title: 'Docks \udea8' }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const bad = await api('james_smith', 'POST', '/api/approvals/nope', { decision: 'maybe' });
    expect(bad.status).toBe(400);
    // U+0000 (which PostgreSQL's text cannot hold) is refused alike on both backends, never a 500.
    const nul = await sendMessage(apiUrl, tokens.james_smith!, id, 'my tickets \u0000');
    expect(nul.events[0]!.data).toMatchObject({
      error: 'invalid_request',
      message: 'content: content must not contain NUL characters',
    });
    expect(
      await api('james_smith', 'PATCH', `/api/conversations/${id}`, { title: 'a\u0000b' }),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: 'title: title must not contain NUL characters' },
    });
    expect(await api('james_smith', 'GET', '/api/conversations/x%00y')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: 'id must not contain NUL characters' },
    });
    expect((await api('james_smith', 'GET', '/api/conversations?q=a%00')).status).toBe(400);
    expect((await api('james_smith', 'GET', '/api/knowledge/documents/x%00')).status).toBe(400);
    // Nothing was stored by the refused messages.
    expect((await api('james_smith', 'GET', `/api/conversations/${id}`)).body.messages).toEqual([]);
  });
});

describe('tokens', () => {
  it('refuses a token meant for an MCP server, a service token, and no token', async () => {
    const forTicketing = await exchangeToken(stack.idp.issuer, {
      subjectToken: tokens.james_smith!,
      resource: stack.idp.audiences.ticketing,
    });
    const r1 = await call(stack.api.url, forTicketing.access_token, 'GET', '/api/me');
    expect(r1.status).toBe(401);
    expect(r1.body).toMatchObject({
      error: 'invalid_token',
      message: 'the token is not meant for this service (wrong audience)',
    });
    const service = await clientCredentialsToken(stack.idp.issuer, { resource: stack.apiAudience });
    expect((await call(stack.api.url, service.access_token, 'GET', '/api/me')).status).toBe(401);
    const none = await fetch(`${stack.api.url}/api/conversations`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('lists the tools each person may call, from the MCP servers', async () => {
    const names = async (u: string) =>
      (await api(u, 'GET', '/api/tools')).body.tools as { name: string; requiresApproval: boolean }[];
    const admin = await names('admin');
    const james = await names('james_smith');
    expect(admin.map((t) => t.name)).toContain('set_member_permissions');
    expect(james.map((t) => t.name)).not.toContain('set_member_permissions');
    expect(james.find((t) => t.name === 'create_ticket')?.requiresApproval).toBe(true);
    expect(james.find((t) => t.name === 'search_tickets')?.requiresApproval).toBe(false);
    expect(james.find((t) => t.name === 'search_documentation')).toBeDefined();
  });
});

describe('token exchange', () => {
  it('exchanges once per person and MCP server, then reuses the token', async () => {
    const exchanges = async () => {
      const text = await (await fetch(`${stack.api.url}/metrics`)).text();
      return [
        ...text.matchAll(/^api_token_exchanges_total\{audience="([^"]+)",result="ok"\} (\d+)$/gm),
      ].reduce((n, m) => n + Number(m[2]), 0);
    };
    const before = await exchanges();
    const fresh = await stack.login('paul_morgan');
    await call(stack.api.url, fresh, 'GET', '/api/tools');
    expect(await exchanges()).toBe(before + 2); // ticketing and organizations
    const c = await call<{ id: string }>(stack.api.url, fresh, 'POST', '/api/conversations', {});
    const turn = await sendMessage(stack.api.url, fresh, c.body.id, 'Show my tickets');
    expect(turn.of('tool.completed')[0]).toMatchObject({ ok: true });
    expect(await exchanges()).toBe(before + 2);
  });
});

describe('turns', () => {
  it('one turn at a time per conversation', async () => {
    const c = await api('james_smith', 'POST', '/api/conversations', {});
    const id = String(c.body.id);
    const first = await sendMessage(
      stack.api.url,
      tokens.james_smith!,
      id,
      'Create a ticket: second dock offline',
      async (e) => {
        if (e.event !== 'approval.required') return;
        const second = await sendMessage(stack.api.url, tokens.james_smith!, id, 'and another thing');
        expect(second.status).toBe(409);
        await api('james_smith', 'POST', `/api/approvals/${String(e.data.approvalId)}`, { decision: 'deny' });
      },
    );
    expect(first.of('done')).toHaveLength(1);
  });
});

describe('limits and operations', () => {
  it('answers 429 with Retry-After once a person is over the per-minute limit', async () => {
    const limited = await stack.startApi({ RATE_LIMIT_REQUESTS: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(limited.url, tokens.alex_agent!, 'GET', '/api/me')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const over = await call(limited.url, tokens.alex_agent!, 'GET', '/api/conversations');
    expect(over.body).toMatchObject({ error: 'rate_limited' });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Someone else is not affected.
    expect((await call(limited.url, tokens.james_smith!, 'GET', '/api/me')).status).toBe(200);
    await limited.stop();
  });

  it('allows CORS only for the renderer origin', async () => {
    const pre = (origin: string) =>
      fetch(`${stack.api.url}/api/me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    expect((await pre('http://127.0.0.1:4200')).headers.get('access-control-allow-origin')).toBe(
      'http://127.0.0.1:4200',
    );
    expect((await pre('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    // The event stream carries the CORS header too.
    const c = await api('alex_agent', 'POST', '/api/conversations', {});
    const sse = await fetch(`${stack.api.url}/api/conversations/${String(c.body.id)}/messages`, {
      method: 'POST',
      headers: {
        origin: 'http://127.0.0.1:4200',
        authorization: `Bearer ${tokens.alex_agent!}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ content: 'How do I reset my password?' }),
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(sse.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4200');
    expect(await sse.text()).toContain('event: done');
  });

  it('refuses a foreign Host (DNS rebinding) with 421, except the health probe', async () => {
    // fetch() will not send a foreign Host header; node:http will.
    const statusFor = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${stack.api.url}${path}`,
          { headers: { host, authorization: `Bearer ${tokens.alex_agent!}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    const port = new URL(stack.api.url).port;
    for (const path of ['/api/me', '/api/conversations', '/metrics', '/readyz']) {
      expect(await statusFor(path, 'evil.example'), path).toBe(421);
      expect(await statusFor(path, `evil.example:${port}`), path).toBe(421);
    }
    expect(await statusFor('/api/me', `localhost:${port}`)).toBe(200);
    expect(await statusFor('/api/me', `127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor('/healthz', 'evil.example')).toBe(200);
  });

  it('answers a repeated query parameter with a 400 naming it, not a 500', async () => {
    for (const path of ['/api/knowledge/search?q=dock&q=camera', '/api/conversations?q=a&q=b']) {
      const res = await api('alex_agent', 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatchObject({ error: 'invalid_request', message: 'q must be given once' });
    }
  });

  it('serves Prometheus metrics', async () => {
    await api('alex_agent', 'GET', '/api/me');
    const text = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(text).toContain('# TYPE msi_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /msi_http_request_duration_seconds_count\{method="GET",route="\/api\/me",status_class="2xx"\} \d+/,
    );
  });

  it('/readyz says which dependency is down', async () => {
    const ok = await fetch(`${stack.api.url}/readyz`);
    expect(ok.status).toBe(200);
    await stack.organizations.stop();
    const down = await fetch(`${stack.api.url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { message: string; checks: Record<string, { ok: boolean }> };
    expect(body.message).toBe('not ready: organizations is down');
    expect(body.checks.ticketing!.ok).toBe(true);
  });
});

describe.each(backends())('the knowledge base is changed by support staff only (%s)', (backend) => {
  onBackend(backend);

  it('customers read and search it; agents add and remove uploads; built-in docs only supervisors and admins', async () => {
    const upload = {
      filename: `note-${Date.now()}.md`,
      content: '# Staff note\n\nThe DS-8 bay 9 does not exist.',
    };
    const refused = await api('james_smith', 'POST', '/api/knowledge/documents', upload);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      error: 'forbidden',
      message: expect.stringContaining('support staff'),
    });

    const added = await api('alex_agent', 'POST', '/api/knowledge/documents', upload);
    expect(added.status).toBe(202);
    const id = String(added.body.id);
    expect((await api('james_smith', 'GET', `/api/knowledge/documents/${id}`)).status).toBe(200);
    expect((await api('james_smith', 'DELETE', `/api/knowledge/documents/${id}`)).status).toBe(403);

    const docs = (await api('james_smith', 'GET', '/api/knowledge/documents')).body.documents as {
      id: string;
      source: string;
    }[];
    const builtin = docs.find((d) => d.source === 'builtin')!;
    const kept = await api('alex_agent', 'DELETE', `/api/knowledge/documents/${builtin.id}`);
    expect(kept.status).toBe(403);
    expect(kept.body.message).toContain('built-in');
    expect((await api('alex_agent', 'GET', `/api/knowledge/documents/${builtin.id}`)).status).toBe(200);

    expect((await api('alex_agent', 'DELETE', `/api/knowledge/documents/${id}`)).status).toBe(204);
    expect((await api('admin', 'GET', `/api/knowledge/documents/${id}`)).status).toBe(404);
  });
});
