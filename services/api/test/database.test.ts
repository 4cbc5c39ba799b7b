/**
 * The API on PostgreSQL (DATABASE_URL, its own fresh database), as a process against the real stack:
 * its schema is made at start, conversations and documents live there, and when the database goes away
 * (a TCP proxy between the API and the server is cut) /readyz names it, requests answer 503
 * `unavailable` naming it, an upload leaves nothing half-written, and everything works again by itself
 * once the database is back. Skipped when the run has no PostgreSQL (MSI_TEST_DATABASE_URL empty).
 */
import { conversationMigrations } from '../src/conversations/store.js';
import { knowledgeMigrations } from '../src/knowledge/schema.js';
import { turnMigrations } from '../src/turns/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import {
  backends,
  freshDatabase,
  pgQuery,
  tcpProxy,
  type FreshDatabase,
  type TcpProxy,
} from '../../../test/support/database.js';
import type { RunningService } from '../../../test/support/services.js';

const onPostgres = backends().includes('postgres');

describe.skipIf(!onPostgres)('the API on PostgreSQL', () => {
  let stack: Backend;
  let pg: FreshDatabase;
  let proxy: TcpProxy;
  let api: RunningService;
  let token: string;

  beforeAll(async () => {
    pg = await freshDatabase('api_outage');
    proxy = await tcpProxy();
    stack = await startBackend();
    api = await stack.startApi({ DATABASE_URL: proxy.via(pg.url), DATABASE_CONNECT_TIMEOUT_MS: '2000' });
    token = await stack.login('alex_agent');
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await pg?.drop();
  });

  const req = (method: string, path: string, body?: unknown) =>
    call<Record<string, unknown>>(api.url, token, method, path, body);
  const readyz = async () => {
    const r = await fetch(`${api.url}/readyz`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const eventually = async <T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await what();
      if (ok(v) || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('keeps its conversations and documents in its own database, ready when the documentation is in', async () => {
    const ready = await eventually(readyz, (r) => r.status === 200, 60_000);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ database: { ok: true, detail: 'ok' } });
    const c = await req('POST', '/api/conversations', { title: 'Kept in PostgreSQL' });
    expect(c.status).toBe(201);
    const rows = await pgQuery<{ title: string }>(pg.url, 'SELECT title FROM conversations WHERE id = $1', [
      c.body.id,
    ]);
    expect(rows).toEqual([{ title: 'Kept in PostgreSQL' }]);
    const versions = await pgQuery<{ module: string; version: number }>(
      pg.url,
      'SELECT module, version FROM schema_migrations ORDER BY module',
    );
    expect(versions).toEqual([
      { module: 'knowledge', version: knowledgeMigrations.length },
      { module: 'main', version: conversationMigrations.length },
      { module: 'turns', version: turnMigrations.length },
    ]);
    const docs = await pgQuery<{ n: string }>(
      pg.url,
      `SELECT count(*) AS n FROM kb_chunks WHERE tsv IS NOT NULL`,
    );
    expect(Number(docs[0]!.n)).toBeGreaterThan(0);
  });

  it('answers 503 naming its database while it is away, writes nothing half, and recovers by itself', async () => {
    const before = await req('GET', '/api/conversations');
    expect(before.status).toBe(200);
    await proxy.cut();

    const notReady = await eventually(readyz, (r) => r.status === 503);
    expect(notReady.status).toBe(503);
    expect(notReady.body.message).toMatch(/^not ready: database is unavailable/);
    expect((notReady.body.checks as Record<string, { detail: string }>).database!.detail).toMatch(
      /^the api database is unavailable/,
    );

    const list = await req('GET', '/api/conversations');
    expect(list.status).toBe(503);
    expect(list.body.error).toBe('unavailable');
    expect(list.body.message).toMatch(/^the api database is unavailable/);
    expect((await req('POST', '/api/conversations', {})).status).toBe(503);
    const upload = await req('POST', '/api/knowledge/documents', {
      filename: 'outage-notes.md',
      content: `# Outage notes\n\n${'The dock reboots after a power cut. '.repeat(400)}`,
    });
    expect([upload.status, upload.body.error]).toEqual([503, 'unavailable']);
    expect((await req('GET', '/api/knowledge/search?q=dock')).status).toBe(503);
    const turn = await sendMessage(api.url, token, 'any-conversation', 'hello');
    expect([turn.status, turn.events[0]?.data.error]).toEqual([503, 'unavailable']);

    await proxy.restore();
    const back = await eventually(
      () => req('GET', '/api/conversations'),
      (r) => r.status === 200,
    );
    expect(back.status).toBe(200);
    expect(back.body.conversations).toEqual(before.body.conversations);
    expect((await eventually(readyz, (r) => r.status === 200)).status).toBe(200);
    // The refused upload left no document and no chunk behind.
    expect(await pgQuery(pg.url, `SELECT id FROM kb_documents WHERE filename = 'outage-notes.md'`)).toEqual(
      [],
    );
    expect(await pgQuery(pg.url, `SELECT id FROM kb_chunks WHERE text LIKE '%power cut%'`)).toEqual([]);
    // And the same upload works now.
    const again = await req('POST', '/api/knowledge/documents', {
      filename: 'outage-notes.md',
      content: `# Outage notes\n\n${'The dock reboots after a power cut. '.repeat(400)}`,
    });
    expect(again.status).toBe(202);
    const created = await req('POST', '/api/conversations', { title: 'After the outage' });
    expect(created.status).toBe(201);
  });

  it('an ingestion the database leaves mid-way waits for it and finishes, nothing counted twice', async () => {
    const sections = Array.from(
      { length: 240 },
      (_, i) =>
        `## Bay ${i + 1}\n\nBay ${i + 1} of the DS-8 dock charges one V700 camera in about three hours.`,
    ).join('\n\n');
    const up = await req('POST', '/api/knowledge/documents', {
      filename: 'bays.md',
      content: `# Dock bays\n\n${sections}`,
    });
    expect(up.status).toBe(202);
    const id = String(up.body.id);
    const total = Number(up.body.chunksTotal);
    expect(total).toBeGreaterThan(100);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 1500));
    await proxy.restore();
    const done = await eventually(
      () => req('GET', `/api/knowledge/documents/${id}`),
      (r) => r.status === 200 && r.body.status === 'ready',
      60_000,
    );
    expect(done.body).toMatchObject({ status: 'ready', chunksDone: total, chunksTotal: total });
    const rows = await pgQuery<{ n: string; embedded: string }>(
      pg.url,
      'SELECT count(*) AS n, sum(embedded) AS embedded FROM kb_chunks WHERE document_id = $1',
      [id],
    );
    expect(rows.map((r) => [Number(r.n), Number(r.embedded)])).toEqual([[total, total]]);
    // It was cut mid-way (the worker said so), and no failed attempt was counted for it.
    expect(api.output()).toContain('knowledge: the database is unavailable; ingestion waits for it');
    expect(api.output()).not.toContain('embedding failed');
  });
});
