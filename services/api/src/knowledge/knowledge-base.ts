/**
 * The knowledge base: documents in the API's database (SQLite with FTS5, or PostgreSQL with a tsvector
 * index), vectors in Chroma, a background worker that embeds chunks batch by batch, and hybrid search
 * that fuses both legs by reciprocal rank.
 *
 * Ingestion is resumable: chunks (with deterministic ids) and their index entries are written with the
 * document in one transaction; an `ingest` job (jobs/, in this process or a worker's) then embeds the
 * chunks not yet embedded, upserts their vectors and marks them, batch by batch, reporting progress; a
 * document is `ready` only when every chunk is. A restart continues where it stopped; an upsert repeated
 * after a crash overwrites the same ids. While the database or Chroma is away the job waits for it
 * (nothing counts as a failed attempt) and goes on when it is back; an embedder that keeps failing fails
 * the job, and the document, with its reason.
 *
 * Search results are cached (search-cache.ts) under a generation that every change of the documents or
 * their vectors bumps, so a cached answer never outlives what it was computed from.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isUnavailable, type Logger, type Store } from '@msi/kit';
import type { Citation, DocumentContent, KnowledgeDocument, KnowledgeUpload, Passage } from '../contract.js';
import { CHUNKER_VERSION, chunkDocument } from './chunker.js';
import type { Embedder } from './embedder.js';
import { passageKey, reciprocalRankFusion, snippet } from './fusion.js';
import type { KnowledgeTables } from './schema.js';
import { KnowledgeStore, type PendingChunk } from './store.js';
import { queryTerms } from './text.js';
import { KnowledgeError, kindOf, validateUpload } from './upload.js';
import { VectorStore, VectorStoreUnavailable } from './vectors.js';
import { createMemoryQueue } from '../jobs/memory-queue.js';
import { JobWait, type JobContext, type JobQueue } from '../jobs/queue.js';
import { memorySearchCache, searchKey, type SearchCache } from './search-cache.js';

export interface KnowledgeBase {
  /** Built-in documents from `docsDir`, then resumes any unfinished ingestion (Chroma is connected lazily). */
  start(): Promise<void>;
  /**
   * Hybrid search: Chroma vectors + the database's full-text ranking, reciprocal-rank fused. FTS alone while Chroma is down.
   * `legs` limits it to one leg (for measuring each; the assistant always uses both).
   */
  search(query: string, k?: number, opts?: SearchOptions): Promise<Citation[]>;
  /** Like search, with a note for the person when the results are full-text only (Chroma down or hung). */
  searchWithNote(query: string, k?: number, opts?: SearchOptions): Promise<SearchResult>;
  list(): Promise<KnowledgeDocument[]>;
  get(id: string): Promise<KnowledgeDocument | undefined>;
  /** The whole document as it was added ("Open document" from a citation). */
  content(id: string): Promise<DocumentContent | undefined>;
  /** Validates and stores; returns the document `queued` (or the existing one with the same content). */
  upload(u: KnowledgeUpload, uploadedBy?: string): Promise<KnowledgeDocument>;
  /** Like `upload`, and says whether the document is new (false: same content was already there) and
   *  the job that ingests it. `owner` is the subject of the person who may follow the job. */
  add(
    u: unknown,
    uploadedBy?: string,
    owner?: string,
  ): Promise<{ document: KnowledgeDocument; created: boolean; jobId?: string }>;
  remove(id: string): Promise<boolean>;
  passage(chunkId: string): Promise<Passage | undefined>;
  readiness(): Promise<{ ok: boolean; detail: string; summary?: string }>;
  /** Whether the built-in documentation is ingested (every document ready or failed), for /readyz. */
  ingestion(): Promise<{ ok: boolean; detail: string; summary?: string }>;
  /** Resolves when no document is waiting to be embedded (for tests and tools). */
  idle(): Promise<void>;
  /** The queue ingestion runs on (the one given, or this knowledge base's own in-process one). */
  readonly jobs: JobQueue;
  close(): Promise<void>;
}

export interface SearchResult {
  citations: Citation[];
  /** Why the results are full-text only, in words for the person (absent when both legs answered). */
  note?: string;
}

export interface SearchOptions {
  legs?: 'both' | 'lexical' | 'vector';
}

export interface KnowledgeBaseOptions {
  /** The knowledge module's store (kit `openStore` with `knowledgeMigrations`). */
  store: Store<KnowledgeTables>;
  chromaUrl: string;
  /** Chroma's token (services/chroma's CHROMA_TOKEN), when it has one. */
  chromaToken?: string;
  /** How long one Chroma request may take (ms). Default 3000. */
  chromaTimeoutMs?: number;
  embedder: Embedder;
  docsDir: string;
  log: Logger;
  /** Chunks embedded per batch (progress moves in these steps). Default 32. */
  batchSize?: number;
  /** First retry delay after a failed batch; doubles up to 30 s. Default 1000 ms. */
  retryBaseMs?: number;
  /** Failures of the embedder in a row before a document is marked failed. Default 5. */
  maxAttempts?: number;
  /**
   * The job queue ingestion runs on (the API's: BullMQ with REDIS_URL). Without one the knowledge base
   * makes its own in-process queue from batchSize/retryBaseMs/maxAttempts and works it.
   */
  jobs?: JobQueue;
  /** Cached search results (Redis with REDIS_URL); default an in-process cache. `false`: none. */
  cache?: SearchCache | false;
}

export const DEFAULT_K = 5;
export const MAX_K = 50;
/** How many results of each leg enter the fusion. */
const LEG_DEPTH = 20;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const newId = () => `kb_${randomBytes(10).toString('hex')}`;
const builtinId = (filename: string) => `kb_${sha256(`builtin:${filename}`).slice(0, 20)}`;

/** What an embedding sees: the chunk with its document title and section, which carry much of its topic. */
const embeddingInput = (title: string, c: PendingChunk) => `${title}\n${c.section}\n${c.text}`;

export function createKnowledgeBase(opts: KnowledgeBaseOptions): KnowledgeBase {
  const { embedder, log } = opts;
  const batchSize = opts.batchSize ?? 32;
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 5;
  const store = new KnowledgeStore(opts.store);
  const ownQueue = !opts.jobs;
  const jobs =
    opts.jobs ?? createMemoryQueue({ attempts: maxAttempts, backoffMs: retryBaseMs, maxBackoffMs: 30_000 });
  const cache = opts.cache === false ? undefined : (opts.cache ?? memorySearchCache());
  /** Results cached before this change are not served again (documents or vectors changed). */
  const changed = async (): Promise<void> => {
    await cache
      ?.bump()
      .catch((err: Error) => log.warn({ err: err.message }, 'knowledge: search cache not invalidated'));
  };
  const vectors = new VectorStore(
    opts.chromaUrl,
    embedder,
    () => {
      // A fresh collection while the database says vectors exist: Chroma lost its data. Embed those again.
      requeueing = store
        .requeue({ lostVectorsOf: embedder.id })
        .then((n) => {
          if (n)
            log.warn(
              { documents: n, collection: vectors.name() },
              'knowledge: chroma collection was missing; re-embedding',
            );
        })
        .catch((err: Error) => log.warn({ err: err.message }, 'knowledge: could not queue re-embedding'))
        .then(() => enqueuePending())
        .catch((err: Error) => log.warn({ err: err.message }, 'knowledge: could not queue re-embedding'))
        .finally(() => {
          requeueing = undefined;
        });
    },
    opts.chromaTimeoutMs,
    opts.chromaToken,
  );
  let started = false;
  /** After a Chroma request timed out, searches skip the vector leg until then (a hung Chroma would make
   *  every question wait for the timeout); the first search after it tries again. */
  let hungUntil = 0;
  const HUNG_BACKOFF_MS = 10_000;
  /** Documents being queued again after Chroma lost its collection (idle() waits for it too). */
  let requeueing: Promise<void> | undefined;
  let chromaDown = false;
  let databaseDown = false;

  function chromaState(err?: unknown): void {
    if (err && !chromaDown) {
      chromaDown = true;
      log.warn(
        { err: (err as Error).message, chromaUrl: opts.chromaUrl },
        'knowledge: chroma is unreachable; search uses full-text (FTS) only until it is back',
      );
    } else if (!err && chromaDown) {
      chromaDown = false;
      log.info({ chromaUrl: opts.chromaUrl }, 'knowledge: chroma is reachable again');
    }
  }

  function databaseState(err?: unknown): void {
    if (err && !databaseDown) {
      databaseDown = true;
      log.warn(
        { err: (err as Error).message },
        'knowledge: the database is unavailable; ingestion waits for it',
      );
    } else if (!err && databaseDown) {
      databaseDown = false;
      log.info('knowledge: the database is back; ingestion goes on');
    }
  }

  /** Queues the ingestion of one document (one job per document while it waits or runs). */
  function enqueueIngest(documentId: string, owner?: string): Promise<string> {
    return jobs.enqueue('ingest', { documentId }, { owner, dedupe: `ingest:${documentId}` });
  }

  /** A job for every document still to embed (after start, a requeue, or jobs lost with Redis). */
  async function enqueuePending(): Promise<void> {
    for (const d of await store.list())
      if (d.status === 'queued' || d.status === 'ingesting') await enqueueIngest(d.id);
  }

  async function sweepVectorDeletions(): Promise<void> {
    for (const id of await store.pendingVectorDeletions()) {
      await vectors.deleteDocument(id);
      await store.vectorsDeleted(id);
    }
  }

  async function ingest(docId: string, ctx: JobContext): Promise<void> {
    const doc = await store.row(docId);
    if (!doc) return; // deleted since it was queued
    if (doc.status === 'ready' && doc.embedder === embedder.id) return; // another job did it
    await store.beginIngestion(doc.id, embedder.id);
    // Nothing embedded yet: clear whatever an earlier version of this document left in Chroma.
    if (doc.chunks_done === 0) await vectors.deleteDocument(doc.id);
    let done = doc.chunks_done;
    await ctx.progress({ done, total: doc.chunks_total });
    for (;;) {
      if (ctx.signal.aborted) throw new JobWait('the worker stopped; the job goes on at its next start');
      const batch = await store.pendingChunks(doc.id, batchSize);
      if (batch.length === 0) break;
      const embeddings = await embedder.embed(batch.map((c) => embeddingInput(doc.title, c)));
      if (embeddings.length !== batch.length || embeddings.some((e) => e.length !== embedder.dimensions)) {
        throw new Error(`embedder ${embedder.id} returned vectors of the wrong number or size`);
      }
      await vectors.upsert(
        batch.map((c, i) => ({ id: c.id, documentId: doc.id, embedding: embeddings[i]! })),
      );
      if (
        !(await store.markEmbedded(
          doc.id,
          batch.map((c) => c.id),
        ))
      ) {
        await store.orphaned(doc.id); // deleted while this batch was in flight
        return;
      }
      done += batch.length;
      // Vector hits changed: searches cached before this batch are not served again.
      await changed();
      await ctx.progress({ done, total: doc.chunks_total });
    }
    if (await store.row(doc.id)) {
      await store.setStatus(doc.id, 'ready');
      log.info(
        { documentId: doc.id, title: doc.title, chunks: doc.chunks_total },
        'knowledge: document ready',
      );
    }
  }

  /** The `ingest` job: one document, with the failure policy the module docs describe. */
  async function ingestJob(ctx: JobContext): Promise<void> {
    const documentId = ctx.data.documentId;
    if (!documentId) throw new Error('an ingest job needs a documentId');
    try {
      await sweepVectorDeletions();
      await ingest(documentId, ctx);
      chromaState();
      databaseState();
    } catch (err) {
      if (err instanceof JobWait) throw err;
      if (err instanceof VectorStoreUnavailable) {
        chromaState(err); // wait for Chroma as long as it takes; nothing is written half
        throw new JobWait(`waiting for the vector store: ${err.message}`, err);
      }
      if (isUnavailable(err)) {
        databaseState(err); // the same for the database: each batch's bookkeeping is one transaction
        throw new JobWait(`waiting for the database: ${(err as Error).message}`, err);
      }
      const message = (err as Error).message;
      log.warn({ err: message, documentId, attempt: ctx.attempt }, 'knowledge: embedding failed');
      if (ctx.attempt < ctx.attempts) throw err;
      const reason = `embedding failed ${ctx.attempt} times: ${message}`;
      await store
        .setStatus(documentId, 'failed', reason)
        .catch((e: Error) => log.warn({ err: e.message }, 'knowledge: could not mark failed'));
      await changed();
      throw new Error(reason);
    }
  }

  /** The `sweep` job: vectors of deleted documents still in Chroma (it was away at the deletion). */
  async function sweepJob(): Promise<void> {
    try {
      await sweepVectorDeletions();
      chromaState();
    } catch (err) {
      if (err instanceof VectorStoreUnavailable) chromaState(err);
      if (err instanceof VectorStoreUnavailable || isUnavailable(err))
        throw new JobWait(`waiting to remove deleted documents' vectors: ${(err as Error).message}`, err);
      throw err;
    }
  }

  jobs.handle('ingest', ingestJob);
  jobs.handle('sweep', sweepJob);
  if (ownQueue) void jobs.work();

  async function addDocument(
    input: {
      filename: string;
      mediaType: string;
      kind: 'markdown' | 'text';
      title?: string | undefined;
      content: string;
      bytes: number;
    },
    source: KnowledgeDocument['source'],
    uploadedBy?: string,
    owner?: string,
  ): Promise<{ document: KnowledgeDocument; created: boolean; jobId?: string }> {
    const hash = sha256(input.content);
    const existing = await store.bySha256(hash);
    if (existing) return { document: existing, created: false };
    const chunked = chunkDocument(input.content, input.kind);
    if (chunked.chunks.length === 0)
      throw new KnowledgeError('invalid_request', `${input.filename} has no text to index`, 400);
    const title = input.title ?? chunked.title ?? input.filename.replace(/\.[^.]+$/, '');
    const id = source === 'builtin' ? builtinId(input.filename) : newId();
    const document = await store.insert(
      {
        id,
        title,
        filename: input.filename,
        mediaType: input.mediaType,
        bytes: input.bytes,
        sha256: hash,
        source,
        content: input.content,
        uploadedBy,
      },
      chunked.chunks,
    );
    log.info(
      { documentId: id, filename: input.filename, source, chunks: chunked.chunks.length, uploadedBy },
      'knowledge: document added',
    );
    await changed();
    const jobId = await enqueueIngest(id, owner);
    return { document, created: true, jobId };
  }

  /** Every .md/.txt under docsDir: new ones added, changed ones re-ingested, unchanged left alone. */
  async function syncBuiltins(): Promise<void> {
    if (!existsSync(opts.docsDir)) {
      log.warn({ docsDir: opts.docsDir }, 'knowledge: built-in documentation directory not found');
      return;
    }
    const files = (readdirSync(opts.docsDir, { recursive: true }) as string[])
      .filter((f) => kindOf(f) && !f.split(sep).some((p) => p.startsWith('.')))
      .map((f) => relative(opts.docsDir, join(opts.docsDir, f)).split(sep).join('/'))
      .sort();
    for (const filename of files) {
      const content = readFileSync(join(opts.docsDir, filename), 'utf8');
      try {
        const u = validateUpload({ filename, content });
        const hash = sha256(content);
        const known = await store.builtin(filename);
        if (known?.sha256 === hash || (!known && (await store.isDismissed(filename, hash)))) continue;
        if (known) {
          const chunked = chunkDocument(content, u.kind);
          const title = chunked.title ?? filename.replace(/\.[^.]+$/, '');
          await store.replace(known.id, { title, bytes: u.bytes, sha256: hash, content }, chunked.chunks);
          await changed();
          log.info({ documentId: known.id, filename }, 'knowledge: built-in document changed; re-ingesting');
        } else {
          await addDocument({ ...u, filename }, 'builtin');
        }
      } catch (err) {
        if (isUnavailable(err)) throw err; // not this file's fault: start() fails and is tried again
        log.warn({ filename, err: (err as Error).message }, 'knowledge: skipping built-in document');
      }
    }
  }

  /**
   * Documents chunked by an older chunker are cut again from their stored content (same id, same
   * title), their old chunks and index entries replaced; they are then embedded again like a changed file.
   */
  async function rechunkOutdated(): Promise<void> {
    for (const d of await store.chunkedBefore(CHUNKER_VERSION)) {
      const kind = kindOf(d.filename, d.media_type)?.kind ?? kindOf(d.filename)?.kind ?? 'text';
      const chunked = chunkDocument(d.content, kind);
      if (chunked.chunks.length === 0) continue; // kept as it was rather than left without chunks
      const title = d.source === 'builtin' ? (chunked.title ?? d.title) : d.title;
      await store.replace(
        d.id,
        { title, bytes: d.bytes, sha256: d.sha256, content: d.content },
        chunked.chunks,
      );
      await changed();
      log.info(
        { documentId: d.id, filename: d.filename, chunker: CHUNKER_VERSION },
        'knowledge: document chunked again by a newer chunker; re-ingesting',
      );
    }
  }

  return {
    async start() {
      await rechunkOutdated();
      await syncBuiltins();
      const requeued = await store.requeue({ failed: true, notEmbeddedBy: embedder.id });
      started = true;
      if (requeued) {
        await changed();
        log.info(
          { documents: requeued, embedder: embedder.id },
          'knowledge: documents queued for (re-)embedding',
        );
      }
      await enqueuePending();
    },

    async search(query, k, opts) {
      return (await this.searchWithNote(query, k, opts)).citations;
    },

    async searchWithNote(query, k = DEFAULT_K, { legs = 'both' } = {}) {
      const q = query.trim();
      if (!q) return { citations: [] };
      const limit = Math.max(1, Math.min(MAX_K, Math.floor(k)));
      // Every signed-in person may read the whole knowledge base (contracts' CAN table), so what decides
      // the results is the query, k, the legs, the embedder and the generation of the documents.
      const key =
        cache &&
        (await cache.generation().then(
          (g) => searchKey(g, embedder.id, legs, limit, q),
          () => undefined,
        ));
      if (cache && key) {
        const hit = await cache.get(key).catch(() => undefined);
        if (hit) return { citations: hit };
      }
      const terms = queryTerms(q);
      const lexical = legs === 'vector' ? [] : await store.lexical(terms, Math.max(LEG_DEPTH, limit));
      let semantic: string[] = [];
      let note: string | undefined;
      const fullTextOnly = (why: string) =>
        `${why}, so these results come from full-text search only and may miss passages that use other words.`;
      if (legs !== 'lexical' && Date.now() < hungUntil) {
        note = fullTextOnly(`The vector store did not answer in ${vectors.timeoutMs / 1000} s`);
      } else if (legs !== 'lexical')
        try {
          const [v] = await embedder.embed([q]);
          semantic = await vectors.query(v!, Math.max(LEG_DEPTH, limit));
          chromaState();
          hungUntil = 0;
        } catch (err) {
          if (err instanceof VectorStoreUnavailable) {
            chromaState(err);
            if (err.timedOut) hungUntil = Date.now() + HUNG_BACKOFF_MS;
            note = fullTextOnly(
              err.timedOut
                ? `The vector store did not answer in ${vectors.timeoutMs / 1000} s`
                : 'The vector store could not be reached',
            );
            log.warn(
              { err: err.message, timedOut: err.timedOut },
              'knowledge: search without vectors (full-text only)',
            );
          } else {
            log.warn(
              { err: (err as Error).message },
              'knowledge: query embedding failed; using full-text results only',
            );
            note = fullTextOnly('The query could not be embedded');
          }
        }
      const fused = reciprocalRankFusion([semantic, lexical]);
      const hits = await store.passages(fused.slice(0, limit * 2).map((f) => f.id));
      const out: Citation[] = [];
      const seen = new Set<string>();
      for (const f of fused) {
        const h = hits.get(f.id);
        if (!h) continue; // a vector whose chunk is gone (its deletion from Chroma is pending)
        // A passage repeated word for word in another document (the user guide repeats the admin
        // guide's Users section) is one source: the better-ranked copy stands for both.
        const key = passageKey(h.text) || h.chunkId;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          documentId: h.documentId,
          chunkId: h.chunkId,
          title: h.title,
          section: h.section,
          snippet: snippet(h.text, terms, 240, q),
          score: f.score,
        });
        if (out.length === limit) break;
      }
      if (note) return { citations: out, note };
      // Full-text-only answers (a note) are not kept: the next search tries the vectors again.
      if (cache && key)
        await cache
          .set(key, out)
          .catch((err: Error) => log.warn({ err: err.message }, 'knowledge: search cache not written'));
      return { citations: out };
    },

    list: () => store.list(),
    get: (id) => store.get(id),
    async content(id) {
      const doc = await store.get(id);
      const content = doc && (await store.content(id));
      return doc && content !== undefined
        ? { id: doc.id, title: doc.title, mediaType: doc.mediaType, content }
        : undefined;
    },

    async add(u, uploadedBy, owner) {
      const valid = validateUpload(u);
      return addDocument(valid, 'upload', uploadedBy, owner);
    },

    async upload(u, uploadedBy) {
      return (await this.add(u, uploadedBy)).document;
    },

    async remove(id) {
      if (!(await store.delete(id))) return false;
      log.info({ documentId: id }, 'knowledge: document deleted');
      await changed();
      try {
        await sweepVectorDeletions();
      } catch (err) {
        chromaState(err);
        // A worker removes the vectors when Chroma is back.
        await jobs.enqueue('sweep', {}, { dedupe: 'sweep' });
      }
      return true;
    },

    passage: (id) => store.passage(id),

    async readiness() {
      // Chroma's check; the database has its own (app.ts), so counts it cannot give are just left out.
      const docs = await store.counts().then(
        (c) => `${c.ready} documents ready, ${c.queued + c.ingesting} ingesting, ${c.failed} failed`,
        () => 'document counts unavailable (the database does not answer)',
      );
      try {
        await vectors.heartbeat();
        chromaState();
        return { ok: true, detail: `chroma reachable at ${opts.chromaUrl}; ${docs}` };
      } catch (err) {
        chromaState(err);
        const hung = err instanceof VectorStoreUnavailable && err.timedOut;
        return {
          ok: false,
          detail: `chroma ${hung ? 'not responding' : 'unreachable'} at ${opts.chromaUrl} (${(err as Error).message}); search uses full-text only; ${docs}`,
          ...(hung ? { summary: 'is not responding' } : {}),
        };
      }
    },

    async ingestion() {
      if (!started)
        return { ok: false, detail: 'the knowledge base has not started yet', summary: 'is not loaded yet' };
      const builtin = (await store.list()).filter((d) => d.source === 'builtin');
      const waiting = builtin.filter((d) => d.status === 'queued' || d.status === 'ingesting');
      return waiting.length
        ? {
            ok: false,
            detail: `ingesting the documentation: ${builtin.length - waiting.length} of ${builtin.length} documents done`,
            summary: 'is still being ingested',
          }
        : { ok: true, detail: `${builtin.length} built-in documents ingested` };
    },

    async idle() {
      do {
        await requeueing;
        await jobs.idle();
      } while (requeueing);
    },

    jobs,

    async close() {
      if (ownQueue) await jobs.close();
    },
  };
}
