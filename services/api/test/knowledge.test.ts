/**
 * The knowledge base against a real Chroma server process and a real database, on both backends (the
 * SQLite file; PostgreSQL through MSI_TEST_DATABASE_URL, a fresh database per case): ingestion and hybrid
 * search, the HTTP routes, delete, resume after a crash half-way, and Chroma going away and coming back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChromaClient } from 'chromadb';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompiledQuery, type Kysely } from 'kysely';
import { createHttpService, createLogger, openStore, type Principal, type Store } from '@msi/kit';
import { backends, freshDatabase, type Backend } from '../../../test/support/database.js';
import { startChroma, type RunningChroma } from '../../../test/support/chroma.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import {
  createKnowledgeBase,
  offlineEmbedder,
  registerKnowledgeRoutes,
  type Embedder,
  type KnowledgeBase,
} from '../src/knowledge/index.js';
import { knowledgeMigrations, type KnowledgeTables } from '../src/knowledge/schema.js';
import { collectionName } from '../src/knowledge/vectors.js';

const FIRMWARE = `# Firmware Updates

Firmware for the V700 Body Camera is delivered over the air.

## How do I roll back to the previous version?

Open the rollout, click **Roll Back**, and confirm. Rollback is available for 30 days after the rollout starts.

## What do firmware failure codes mean?

FW-102 means the package checksum did not match: a proxy altered the file.
`;

const DOCKING = `# Devices and Docking

## What does a flashing amber light mean?

A flashing amber bay light means the camera is charging but cannot upload: check the dock's network cable.

## How long does charging take?

A flat V700 charges fully in about 3 hours in a DS-8 bay.
`;

/** Many sections, so ingestion takes several batches. */
const LONG = `# Evidence Retention\n\n${Array.from(
  { length: 24 },
  (_, i) =>
    `## Category ${i + 1}\n\nVideos in category ${i + 1} are kept for ${i + 2} years before they are purged automatically.`,
).join('\n\n')}`;

type Db = Store<KnowledgeTables>;

interface Env {
  dir: string;
  docsDir: string;
  chroma: RunningChroma;
  /** The knowledge module's store; `url` is its PostgreSQL database (undefined on SQLite). */
  db: Db;
  url: string | undefined;
  logs: string[];
  kb: KnowledgeBase;
}

/** The backend of the describe block running now. */
let backend: Backend = 'sqlite';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capture(): { logs: string[]; stream: Writable } {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  return { logs, stream };
}

async function setup(
  opts: { docs?: Record<string, string>; embedder?: Embedder; batchSize?: number } = {},
): Promise<Env> {
  const { dir, cleanup } = tempDataDir('msi-kb-');
  cleanups.push(cleanup);
  const docsDir = join(dir, 'docs');
  mkdirSync(docsDir);
  for (const [name, text] of Object.entries(
    opts.docs ?? { 'firmware-updates.md': FIRMWARE, 'devices-and-docking.md': DOCKING },
  )) {
    writeFileSync(join(docsDir, name), text);
  }
  const chroma = await startChroma({ dataDir: join(dir, 'chroma') });
  cleanups.push(() => chroma.stop());
  let url: string | undefined;
  if (backend === 'postgres') {
    const pg = await freshDatabase('api_kb');
    cleanups.push(() => pg.drop());
    url = pg.url;
  }
  const db = await openKb(dir, url);
  const { logs, stream } = capture();
  const kb = createKnowledgeBase({
    store: db,
    chromaUrl: chroma.url,
    embedder: opts.embedder ?? offlineEmbedder(),
    docsDir,
    log: createLogger('api', 'info', stream),
    batchSize: opts.batchSize ?? 4,
    retryBaseMs: 50,
  });
  cleanups.push(() => kb.close());
  return { dir, docsDir, chroma, db, url, logs, kb };
}

/** The knowledge store of the API in `dir` (or at `url`), as the API opens it; closed after the test. */
async function openKb(dir: string, url: string | undefined): Promise<Db> {
  const db = await openStore<KnowledgeTables>({
    service: 'api',
    module: 'knowledge',
    url,
    file: join(dir, 'api.db'),
    migrations: knowledgeMigrations,
  });
  cleanups.push(() => db.close());
  return db;
}

/** Rows of `text` (`?` placeholders on both backends), read through the store's connection. */
async function all<T>(db: Db | Kysely<KnowledgeTables>, text: string, ...args: unknown[]): Promise<T[]> {
  let i = 0;
  const q = backend === 'postgres' ? text.replace(/\?/g, () => `$${++i}`) : text;
  const k = 'db' in db ? db.db : db;
  return (await k.executeQuery<T>(CompiledQuery.raw(q, args))).rows;
}

function chromaClient(url: string) {
  const u = new URL(url);
  return new ChromaClient({ host: u.hostname, port: Number(u.port) });
}

async function vectorCount(
  url: string,
  embedder: Embedder = offlineEmbedder(),
  documentId?: string,
): Promise<number> {
  const c = await chromaClient(url).getCollection({ name: collectionName(embedder) });
  if (!documentId) return c.count();
  return (await c.get({ where: { documentId }, include: [] })).ids.length;
}

const count = async (db: Db, sql: string, ...args: unknown[]) =>
  Number((await all<{ n: number }>(db, sql, ...args))[0]!.n);
/** Chunks with a lexical index entry (FTS5 rows; tsvectors), and those matching a word. */
const INDEXED = () =>
  backend === 'sqlite'
    ? 'SELECT count(*) AS n FROM kb_chunks_fts'
    : 'SELECT count(*) AS n FROM kb_chunks WHERE tsv IS NOT NULL';
const MATCHING = () =>
  backend === 'sqlite'
    ? 'SELECT count(*) AS n FROM kb_chunks_fts WHERE kb_chunks_fts MATCH ?'
    : "SELECT count(*) AS n FROM kb_chunks WHERE tsv @@ websearch_to_tsquery('english', ?)";

describe.each(backends())('knowledge base with Chroma on %s', (b) => {
  beforeAll(() => {
    backend = b;
  });

  it('ingests the built-in docs on first start and finds passages by meaning and by words', async () => {
    const { kb, chroma, db } = await setup();
    await kb.start();
    await kb.idle();
    const docs = await kb.list();
    expect(docs.map((d) => [d.filename, d.source, d.status, d.chunksDone === d.chunksTotal]).sort()).toEqual([
      ['devices-and-docking.md', 'builtin', 'ready', true],
      ['firmware-updates.md', 'builtin', 'ready', true],
    ]);
    const total = await count(db, 'SELECT count(*) AS n FROM kb_chunks');
    expect(await vectorCount(chroma.url)).toBe(total);
    expect(await count(db, INDEXED())).toBe(total);

    const [top] = await kb.search('how long can we still revert a firmware rollout?', 3);
    expect(top).toMatchObject({
      title: 'Firmware Updates',
      section: 'Firmware Updates › How do I roll back to the previous version?',
    });
    expect(top!.snippet).toContain('30 days');
    expect(top!.score).toBeGreaterThan(0);
    const passage = (await kb.passage(top!.chunkId))!;
    expect(passage).toMatchObject({ documentId: top!.documentId, title: 'Firmware Updates' });
    expect(passage.text).toContain('Rollback is available for 30 days');

    const codes = await kb.search('FW-102', 5);
    expect(codes[0]!.section).toMatch(/failure codes/);
    const ids = codes.map((c) => c.chunkId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await kb.readiness()).ok).toBe(true);

    // A second start changes nothing; a changed built-in file is re-ingested in place.
    await kb.start();
    expect((await kb.list()).map((d) => d.status)).toEqual(['ready', 'ready']);
  });

  it('re-ingests a built-in doc whose content changed, leaving no stale chunks or vectors', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    const before = (await env.kb.list()).find((d) => d.filename === 'devices-and-docking.md')!;
    writeFileSync(
      join(env.docsDir, 'devices-and-docking.md'),
      '# Devices and Docking\n\nOnly one short section now about the DS-8 dock.',
    );
    await env.kb.start();
    await env.kb.idle();
    const after = (await env.kb.get(before.id))!;
    expect(after).toMatchObject({ status: 'ready', chunksTotal: 1, chunksDone: 1 });
    expect(await count(env.db, 'SELECT count(*) AS n FROM kb_chunks WHERE document_id = ?', before.id)).toBe(
      1,
    );
    expect(await vectorCount(env.chroma.url, offlineEmbedder(), before.id)).toBe(1);
    expect(await env.kb.search('flashing amber light', 5)).not.toContainEqual(
      expect.objectContaining({ documentId: before.id, section: expect.stringMatching(/amber/) }),
    );
  });

  it('serves the routes: upload with progress, duplicates, search, passage, delete, errors', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    const svc = createHttpService({
      name: 'api-test',
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('api-test', 'silent'),
    });
    const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
      const user = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!user)
        return reply.status(401).send({ error: 'unauthorized', message: 'a bearer token is required' });
      req.principal = {
        username: user,
        roles: user.endsWith('_agent') ? ['agent'] : [],
      } as unknown as Principal;
    };
    registerKnowledgeRoutes(svc.app, env.kb, { preHandler });
    cleanups.push(() => svc.app.close());
    const auth = { authorization: 'Bearer alex_agent' };
    const inject = svc.app.inject.bind(svc.app);
    const upload = (filename: string, content: string) =>
      inject({
        method: 'POST',
        url: '/api/knowledge/documents',
        headers: auth,
        payload: { filename, content },
      });

    expect((await inject({ method: 'GET', url: '/api/knowledge/documents' })).statusCode).toBe(401);

    const up = await upload('evidence-retention.md', LONG);
    expect(up.statusCode).toBe(202);
    const doc = up.json();
    expect(doc).toMatchObject({
      title: 'Evidence Retention',
      source: 'upload',
      status: 'queued',
      chunksDone: 0,
      mediaType: 'text/markdown',
    });
    expect(doc.chunksTotal).toBe(24);
    expect(await all(env.db, 'SELECT uploaded_by FROM kb_documents WHERE id = ?', doc.id)).toEqual([
      { uploaded_by: 'alex_agent' },
    ]);

    // Progress moves through the batches until ready.
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const d = (
        await inject({ method: 'GET', url: `/api/knowledge/documents/${doc.id}`, headers: auth })
      ).json();
      seen.add(d.chunksDone);
      if (d.status === 'ready') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await env.kb.get(doc.id)).toMatchObject({ status: 'ready', chunksDone: 24 });
    expect(seen.has(24)).toBe(true);

    const dup = await upload('copy.md', LONG);
    expect(dup.statusCode).toBe(200);
    expect(dup.json().id).toBe(doc.id);

    const search = await inject({
      method: 'GET',
      url: '/api/knowledge/search?q=category%2017%20purged&k=3',
      headers: auth,
    });
    expect(search.statusCode).toBe(200);
    const { results } = search.json();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ documentId: doc.id, section: 'Evidence Retention › Category 17' });
    const passage = await inject({
      method: 'GET',
      url: `/api/knowledge/chunks/${results[0].chunkId}`,
      headers: auth,
    });
    expect(passage.json().text).toContain('category 17 are kept for 18 years');

    const bad = async (url: string, method: 'GET' | 'POST' = 'GET', payload?: object) => {
      const r = await inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
      return [r.statusCode, r.json().error, r.json().message];
    };
    expect(await bad('/api/knowledge/search')).toEqual([
      400,
      'invalid_request',
      'q is required: the text to search for',
    ]);
    expect(await bad('/api/knowledge/search?q=x&k=0')).toEqual([
      400,
      'invalid_request',
      'k must be an integer from 1 to 50',
    ]);
    expect(await bad('/api/knowledge/documents/nope')).toEqual([
      404,
      'not_found',
      'no knowledge document nope',
    ]);
    expect(await bad('/api/knowledge/chunks/nope')).toEqual([404, 'not_found', 'no passage nope']);
    expect(await bad('/api/knowledge/documents', 'POST', { filename: 'x.pdf', content: 'x' })).toEqual([
      415,
      'unsupported_media_type',
      'file type of x.pdf is not supported; upload Markdown (.md, text/markdown) or plain text (.txt, text/plain)',
    ]);
    expect(await bad('/api/knowledge/documents', 'POST', { filename: 'x.md', content: '' })).toEqual([
      400,
      'invalid_request',
      'x.md is empty',
    ]);
    const huge = await upload('big.txt', 'a'.repeat(5 * 1024 * 1024 + 1));
    expect([huge.statusCode, huge.json().error]).toEqual([413, 'payload_too_large']);
    expect(await env.kb.list()).toHaveLength(3); // nothing half-written by the refused uploads

    const del = await inject({ method: 'DELETE', url: `/api/knowledge/documents/${doc.id}`, headers: auth });
    expect(del.statusCode).toBe(204);
    expect(
      (await inject({ method: 'DELETE', url: `/api/knowledge/documents/${doc.id}`, headers: auth }))
        .statusCode,
    ).toBe(404);
  });

  it('delete removes the document, its chunks, FTS rows and vectors (built-in ones stay deleted)', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    const fw = (await env.kb.list()).find((d) => d.filename === 'firmware-updates.md')!;
    const [hit] = await env.kb.search('roll back firmware', 1);
    expect(hit!.documentId).toBe(fw.id);
    expect(await vectorCount(env.chroma.url, offlineEmbedder(), fw.id)).toBeGreaterThan(0);

    expect(await env.kb.remove(fw.id)).toBe(true);
    expect(await env.kb.get(fw.id)).toBeUndefined();
    expect(await env.kb.passage(hit!.chunkId)).toBeUndefined();
    expect(await count(env.db, 'SELECT count(*) AS n FROM kb_chunks WHERE document_id = ?', fw.id)).toBe(0);
    expect(await count(env.db, MATCHING(), 'rollback')).toBe(0);
    expect(await vectorCount(env.chroma.url, offlineEmbedder(), fw.id)).toBe(0);
    expect(await count(env.db, 'SELECT count(*) AS n FROM kb_vector_deletions')).toBe(0);
    expect((await env.kb.search('roll back firmware', 5)).every((c) => c.documentId !== fw.id)).toBe(true);

    await env.kb.start(); // the shipped file is still there, but the person deleted it
    expect(await env.kb.get(fw.id)).toBeUndefined();
  });

  it('resumes after a crash half-way with no duplicate or orphan chunks', async () => {
    let batches = 0;
    const failing: Embedder = {
      ...offlineEmbedder(),
      async embed(texts) {
        if (++batches > 3) throw new Error('simulated embedder crash');
        return offlineEmbedder().embed(texts);
      },
    };
    const env = await setup({ docs: { 'evidence-retention.md': LONG }, embedder: failing, batchSize: 4 });
    await env.kb.start();
    for (let i = 0; i < 1000 && !env.logs.some((l) => l.includes('simulated embedder crash')); i++)
      await new Promise((r) => setTimeout(r, 10));
    await env.kb.close(); // the process dies here
    const [half] = await env.kb.list();
    expect(half).toMatchObject({ status: 'ingesting', chunksDone: 12, chunksTotal: 24 });
    expect(await vectorCount(env.chroma.url)).toBe(12);

    // A fresh process on the same files finishes the job.
    await env.db.close();
    const db = await openKb(env.dir, env.url);
    const kb = createKnowledgeBase({
      store: db,
      chromaUrl: env.chroma.url,
      embedder: offlineEmbedder(),
      docsDir: env.docsDir,
      log: createLogger('api', 'silent'),
      batchSize: 4,
    });
    cleanups.push(() => kb.close());
    await kb.start();
    await kb.idle();
    expect(await kb.list()).toEqual([
      expect.objectContaining({ id: half!.id, status: 'ready', chunksDone: 24, chunksTotal: 24 }),
    ]);
    expect(await count(db, 'SELECT count(*) AS n FROM kb_chunks')).toBe(24);
    expect(await count(db, 'SELECT count(DISTINCT ordinal) AS n FROM kb_chunks')).toBe(24);
    expect(await count(db, INDEXED())).toBe(24);
    expect(await count(db, 'SELECT count(*) AS n FROM kb_chunks WHERE embedded = 0')).toBe(0);
    const stored = await (
      await chromaClient(env.chroma.url).getCollection({ name: collectionName(offlineEmbedder()) })
    ).get({ include: [] });
    expect(stored.ids).toHaveLength(24);
    expect(new Set(stored.ids)).toEqual(
      new Set((await all<{ id: string }>(db, 'SELECT id FROM kb_chunks')).map((r) => r.id)),
    );
  });

  it('marks a document failed with the reason when the embedder keeps failing', async () => {
    const broken: Embedder = {
      ...offlineEmbedder(),
      embed: async () => Promise.reject(new Error('model not found')),
    };
    const env = await setup({ docs: { 'firmware-updates.md': FIRMWARE }, embedder: broken });
    await env.kb.start();
    await env.kb.idle();
    const [doc] = await env.kb.list();
    expect(doc).toMatchObject({
      status: 'failed',
      chunksDone: 0,
      error: 'embedding failed 5 times: model not found',
    });
    // The lexical leg still finds its text.
    expect((await env.kb.search('FW-102 checksum', 1))[0]!.documentId).toBe(doc!.id);
  });

  it('searches full-text only while Chroma is down, waits to ingest, and reconnects when it is back', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    const withVectors = await env.kb.search('revert a firmware rollout', 3);
    await env.chroma.stop();

    const ready = await env.kb.readiness();
    expect(ready.ok).toBe(false);
    expect(ready.detail).toMatch(
      /^chroma unreachable at http:\/\/127\.0\.0\.1:\d+ .*search uses full-text only; 2 documents ready/,
    );
    const lexicalOnly = await env.kb.search('roll back firmware rollout', 3);
    expect(lexicalOnly[0]!.section).toMatch(/roll back/);
    expect(env.logs.some((l) => l.includes('search uses full-text (FTS) only'))).toBe(true);

    // Uploads are accepted but wait for Chroma; nothing is marked embedded meanwhile.
    const doc = await env.kb.upload({ filename: 'retention.md', content: LONG });
    await new Promise((r) => setTimeout(r, 300));
    expect(await env.kb.get(doc.id)).toMatchObject({ status: 'ingesting', chunksDone: 0 });

    // Chroma comes back on the same port and data: everything continues.
    const again = await startChroma({ dataDir: join(env.dir, 'chroma'), port: env.chroma.port });
    cleanups.push(() => again.stop());
    for (let i = 0; i < 400 && (await env.kb.get(doc.id))!.status !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await env.kb.get(doc.id)).toMatchObject({ status: 'ready', chunksDone: 24 });
    expect((await env.kb.readiness()).ok).toBe(true);
    expect(await env.kb.search('revert a firmware rollout', 3)).toEqual(withVectors);
    expect(env.logs.some((l) => l.includes('chroma is reachable again'))).toBe(true);
  });

  it('re-embeds into a new collection when the embedder changes, and when Chroma lost its data', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    await env.kb.close();
    const small = offlineEmbedder(64);
    const other: Embedder = { ...small, id: 'offline-hash-test-64' };
    const kb = createKnowledgeBase({
      store: env.db,
      chromaUrl: env.chroma.url,
      embedder: other,
      docsDir: env.docsDir,
      log: createLogger('api', 'silent'),
    });
    cleanups.push(() => kb.close());
    await kb.start();
    await kb.idle();
    const total = await count(env.db, 'SELECT count(*) AS n FROM kb_chunks');
    expect((await kb.list()).every((d) => d.status === 'ready')).toBe(true);
    expect(await vectorCount(env.chroma.url, other)).toBe(total);
    expect(await all(env.db, 'SELECT DISTINCT embedder FROM kb_documents')).toEqual([
      { embedder: 'offline-hash-test-64' },
    ]);
    // The previous embedder's collection is gone: nothing points at its vectors any more.
    expect((await chromaClient(env.chroma.url).listCollections()).map((c) => c.name)).toEqual([
      collectionName(other),
    ]);

    // Chroma's data is wiped: the collection is recreated and the documents embedded again.
    await chromaClient(env.chroma.url).deleteCollection({ name: collectionName(other) });
    await kb.search('firmware', 1); // the first call after the loss notices it
    await kb.idle();
    expect(await vectorCount(env.chroma.url, other)).toBe(total);
    expect((await kb.list()).every((d) => d.status === 'ready' && d.chunksDone === d.chunksTotal)).toBe(true);
  });

  it('chunks again, and re-embeds, the documents an older chunker cut', async () => {
    const env = await setup();
    await env.kb.start();
    await env.kb.idle();
    await env.kb.close();
    const firmware = (await env.kb.list()).find((d) => d.filename === 'firmware-updates.md')!;
    const docking = (await env.kb.list()).find((d) => d.filename === 'devices-and-docking.md')!;
    const total = await count(
      env.db,
      'SELECT count(*) AS n FROM kb_chunks WHERE document_id = ?',
      firmware.id,
    );
    expect(total).toBeGreaterThan(1);
    // What an older chunker left: one chunk of other text (its FTS row too), vectors of more chunks.
    await env.db.transaction(async (trx) => {
      if (backend === 'sqlite')
        await all(
          trx,
          'DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT seq FROM kb_chunks WHERE document_id = ? AND ordinal > 0)',
          firmware.id,
        );
      await all(trx, 'DELETE FROM kb_chunks WHERE document_id = ? AND ordinal > 0', firmware.id);
      await all(
        trx,
        `UPDATE kb_chunks SET text = 'cut by the old chunker' WHERE document_id = ?`,
        firmware.id,
      );
      await all(
        trx,
        'UPDATE kb_documents SET chunker = 0, chunks_total = 1, chunks_done = 1 WHERE id = ?',
        firmware.id,
      );
    });

    const kb = createKnowledgeBase({
      store: env.db,
      chromaUrl: env.chroma.url,
      embedder: offlineEmbedder(),
      docsDir: env.docsDir,
      log: createLogger('api', 'info', capture().stream),
    });
    cleanups.push(() => kb.close());
    await kb.start();
    await kb.idle();
    expect(await kb.get(firmware.id)).toMatchObject({
      status: 'ready',
      chunksTotal: total,
      chunksDone: total,
    });
    expect(await count(env.db, `SELECT count(*) AS n FROM kb_chunks WHERE text LIKE '%old chunker%'`)).toBe(
      0,
    );
    expect(await count(env.db, INDEXED())).toBe(await count(env.db, 'SELECT count(*) AS n FROM kb_chunks'));
    expect(await vectorCount(env.chroma.url, offlineEmbedder(), firmware.id)).toBe(total);
    expect(await count(env.db, 'SELECT count(*) AS n FROM kb_documents WHERE chunker = 0')).toBe(0);
    // The other document was not touched.
    expect(await kb.get(docking.id)).toMatchObject({ status: 'ready', createdAt: docking.createdAt });
    const [top] = await kb.search('how long can we still revert a firmware rollout?', 3);
    expect(top).toMatchObject({ documentId: firmware.id, section: expect.stringMatching(/roll back/) });
  });
});
