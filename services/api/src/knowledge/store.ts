/**
 * The knowledge base's rows (schema.ts): documents, their chunks, the lexical index (SQLite FTS5 or a
 * PostgreSQL tsvector per chunk) and the bookkeeping that makes ingestion resumable. Every multi-row
 * change is one transaction, so a database that goes away mid-way leaves nothing half-written.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect, Store } from '@msi/kit';
import type { KnowledgeDocument, Passage } from '../contract.js';
import { CHUNKER_VERSION, type Chunk } from './chunker.js';
import type { KnowledgeTables } from './schema.js';
import { words } from './text.js';

type Status = KnowledgeDocument['status'];
type Db = Kysely<KnowledgeTables>;

export interface DocRow {
  id: string;
  title: string;
  filename: string;
  media_type: string;
  bytes: number;
  sha256: string;
  source: KnowledgeDocument['source'];
  status: Status;
  chunks_done: number;
  chunks_total: number;
  error: string | null;
  uploaded_by: string | null;
  embedder: string | null;
  created_at: string;
}

export interface NewDocument {
  id: string;
  title: string;
  filename: string;
  mediaType: string;
  bytes: number;
  sha256: string;
  source: KnowledgeDocument['source'];
  content: string;
  uploadedBy?: string;
}

export interface PendingChunk {
  id: string;
  section: string;
  text: string;
}

export interface ChunkHit extends Passage {
  ordinal: number;
}

const DOC_COLUMNS = [
  'id',
  'title',
  'filename',
  'media_type',
  'bytes',
  'sha256',
  'source',
  'status',
  'chunks_done',
  'chunks_total',
  'error',
  'uploaded_by',
  'embedder',
  'created_at',
] as const;

/** Rows per multi-row INSERT (well under both backends' limits on bound parameters). */
const INSERT_BATCH = 500;

function toDocument(r: DocRow): KnowledgeDocument {
  return {
    id: r.id,
    title: r.title,
    filename: r.filename,
    mediaType: r.media_type,
    bytes: r.bytes,
    source: r.source,
    status: r.status,
    chunksDone: r.chunks_done,
    chunksTotal: r.chunks_total,
    ...(r.error ? { error: r.error } : {}),
    createdAt: r.created_at,
  };
}

export function chunkId(documentId: string, ordinal: number): string {
  return `${documentId}.${ordinal}`;
}

// ---------------------------------------------------------------------------------------------------
// The lexical index: the only dialect-specific SQL of the knowledge base

/** Writes the index entries of a document's chunks (just inserted), with its title. */
async function indexChunks(db: Db, dialect: Dialect, documentId: string, title: string): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`INSERT INTO kb_chunks_fts (rowid, title, section, text)
      SELECT seq, ${title}, section, text FROM kb_chunks WHERE document_id = ${documentId}`.execute(db);
  } else {
    await sql`UPDATE kb_chunks SET tsv =
        setweight(to_tsvector('english', ${title}), 'B') ||
        setweight(to_tsvector('english', section), 'A') ||
        setweight(to_tsvector('english', text), 'C')
      WHERE document_id = ${documentId}`.execute(db);
  }
}

/** Removes a document's chunks and their index entries. */
async function dropChunks(db: Db, dialect: Dialect, documentId: string): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT seq FROM kb_chunks WHERE document_id = ${documentId})`.execute(
      db,
    );
  }
  await db.deleteFrom('kb_chunks').where('document_id', '=', documentId).execute();
}

/** Field weights of the lexical index as ts_rank_cd takes them ({D, C, B, A}): text 1, title 2, section 3, over 3. */
const PG_WEIGHTS = '{0.1, 0.3333, 0.6667, 1.0}';

/**
 * Chunk ids matching any of `terms`, best first. Every chunk is documentation everyone may read, so
 * neither backend filters (the same on both). SQLite: FTS5's BM25 over title, section and text (weights
 * 2, 3, 1). PostgreSQL: the chunks matching `websearch_to_tsquery` of the terms OR-ed (the GIN index),
 * ranked by the BM25 FTS5 computes (k1 = 1.2, b = 0.75, its IDF ln((N − df + 0.5) / (df + 0.5)) floored
 * at 1e-6): per term, the IDF over all chunks times the term's weighted frequency in the chunk
 * (ts_rank_cd of that term alone: occurrences × field weight, times 3 for the same 1/2/3 scale),
 * saturated by the chunk's length in words against the average. ts_rank alone has no IDF: recall@5 was
 * 0.09 below SQLite's with it (bench/retrieval.bench.ts prints both).
 */
async function lexicalSearch(db: Db, dialect: Dialect, terms: string[], limit: number): Promise<string[]> {
  if (dialect === 'sqlite') {
    const match = terms.map((t) => `"${t}"`).join(' OR ');
    const { rows } = await sql<{
      id: string;
    }>`SELECT c.id FROM kb_chunks_fts f JOIN kb_chunks c ON c.seq = f.rowid
      WHERE kb_chunks_fts MATCH ${match} ORDER BY bm25(kb_chunks_fts, 2.0, 3.0, 1.0) LIMIT ${limit}`.execute(
      db,
    );
    return rows.map((r) => r.id);
  }
  const { rows } = await sql<{ id: string }>`WITH stats AS (
        SELECT count(*) AS n, greatest(avg(tokens), 1) AS avglen FROM kb_chunks
      ), term AS (
        SELECT q, (SELECT count(*) FROM kb_chunks WHERE tsv @@ q) AS df
        FROM (SELECT plainto_tsquery('english', w) AS q FROM unnest(${terms}::text[]) AS w) AS t
        WHERE numnode(q) > 0
      ), idf AS MATERIALIZED (
        SELECT q, greatest(ln(((SELECT n FROM stats) - df + 0.5) / (df + 0.5)), 1e-6) AS idf FROM term
      )
    SELECT c.id FROM kb_chunks c
    WHERE c.tsv @@ websearch_to_tsquery('english', ${terms.join(' or ')})
    ORDER BY (
      SELECT sum(idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * c.tokens / (SELECT avglen FROM stats))))
      FROM (SELECT idf, 3 * ts_rank_cd(${PG_WEIGHTS}::float4[], c.tsv, q, 0) AS tf FROM idf) AS f
    ) DESC, c.seq
    LIMIT ${limit}`.execute(db);
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------------

export class KnowledgeStore {
  private readonly db: Db;
  private readonly dialect: Dialect;

  constructor(private readonly store: Store<KnowledgeTables>) {
    this.db = store.db;
    this.dialect = store.dialect;
  }

  async list(): Promise<KnowledgeDocument[]> {
    const rows = await this.db
      .selectFrom('kb_documents')
      .select(DOC_COLUMNS)
      .orderBy('created_at', 'desc')
      .orderBy('title')
      .execute();
    return rows.map(toDocument);
  }

  async get(id: string): Promise<KnowledgeDocument | undefined> {
    const r = await this.row(id);
    return r && toDocument(r);
  }

  /** The document's text as it was added (Markdown or plain text). */
  async content(id: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('kb_documents')
      .select('content')
      .where('id', '=', id)
      .executeTakeFirst();
    return r?.content;
  }

  row(id: string, db: Db = this.db): Promise<DocRow | undefined> {
    return db.selectFrom('kb_documents').select(DOC_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  async bySha256(sha256: string): Promise<KnowledgeDocument | undefined> {
    const r = await this.db
      .selectFrom('kb_documents')
      .select(DOC_COLUMNS)
      .where('sha256', '=', sha256)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return r && toDocument(r);
  }

  builtin(filename: string): Promise<{ id: string; sha256: string } | undefined> {
    return this.db
      .selectFrom('kb_documents')
      .select(['id', 'sha256'])
      .where('source', '=', 'builtin')
      .where('filename', '=', filename)
      .executeTakeFirst();
  }

  async isDismissed(filename: string, sha256: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('kb_dismissed_builtins')
      .select('filename')
      .where('filename', '=', filename)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return !!r;
  }

  /** A new document with all its chunks (and their index entries), queued for embedding: one transaction. */
  async insert(doc: NewDocument, chunks: Chunk[]): Promise<KnowledgeDocument> {
    const now = new Date().toISOString();
    await this.store.transaction(async (trx) => {
      await trx
        .insertInto('kb_documents')
        .values({
          id: doc.id,
          title: doc.title,
          filename: doc.filename,
          media_type: doc.mediaType,
          bytes: doc.bytes,
          sha256: doc.sha256,
          source: doc.source,
          status: 'queued',
          chunks_total: chunks.length,
          content: doc.content,
          uploaded_by: doc.uploadedBy ?? null,
          created_at: now,
          updated_at: now,
          chunker: CHUNKER_VERSION,
        })
        .execute();
      if (doc.source === 'builtin')
        await trx.deleteFrom('kb_dismissed_builtins').where('filename', '=', doc.filename).execute();
      await this.insertChunks(trx, doc.id, doc.title, chunks);
    });
    return (await this.get(doc.id))!;
  }

  /** New content for an existing document: old chunks out, new chunks in, embedding starts over. */
  async replace(
    id: string,
    doc: Pick<NewDocument, 'title' | 'bytes' | 'sha256' | 'content'>,
    chunks: Chunk[],
  ): Promise<void> {
    await this.store.transaction(async (trx) => {
      await dropChunks(trx, this.dialect, id);
      await trx
        .updateTable('kb_documents')
        .set({
          title: doc.title,
          bytes: doc.bytes,
          sha256: doc.sha256,
          content: doc.content,
          status: 'queued',
          chunks_done: 0,
          chunks_total: chunks.length,
          error: null,
          embedder: null,
          chunker: CHUNKER_VERSION,
          updated_at: new Date().toISOString(),
        })
        .where('id', '=', id)
        .execute();
      await this.insertChunks(trx, id, doc.title, chunks);
      // Vectors of the old version (there may be more of them than new chunks) are cleared before embedding.
    });
  }

  /** Documents whose chunks were cut by an older chunker, with what it takes to cut them again. */
  chunkedBefore(version: number): Promise<
    (Pick<DocRow, 'id' | 'title' | 'filename' | 'media_type' | 'bytes' | 'sha256' | 'source'> & {
      content: string;
    })[]
  > {
    return this.db
      .selectFrom('kb_documents')
      .select(['id', 'title', 'filename', 'media_type', 'bytes', 'sha256', 'source', 'content'])
      .where('chunker', '<', version)
      .orderBy('created_at')
      .orderBy('rowid')
      .execute();
  }

  /** Deletes document, chunks and index entries; its vectors are queued for deletion from Chroma. */
  delete(id: string): Promise<boolean> {
    return this.store.transaction(async (trx) => {
      let find = trx.selectFrom('kb_documents').select(['filename', 'sha256', 'source']).where('id', '=', id);
      if (this.dialect === 'postgres') find = find.forUpdate();
      const r = await find.executeTakeFirst();
      if (!r) return false;
      await dropChunks(trx, this.dialect, id);
      await trx.deleteFrom('kb_documents').where('id', '=', id).execute();
      await trx
        .insertInto('kb_vector_deletions')
        .values({ document_id: id })
        .onConflict((oc) => oc.column('document_id').doNothing())
        .execute();
      if (r.source === 'builtin') {
        await trx
          .insertInto('kb_dismissed_builtins')
          .values({ filename: r.filename, sha256: r.sha256 })
          .onConflict((oc) => oc.column('filename').doUpdateSet({ sha256: r.sha256 }))
          .execute();
      }
      return true;
    });
  }

  async pendingVectorDeletions(): Promise<string[]> {
    const rows = await this.db.selectFrom('kb_vector_deletions').select('document_id').execute();
    return rows.map((r) => r.document_id);
  }

  async vectorsDeleted(documentId: string): Promise<void> {
    await this.db.deleteFrom('kb_vector_deletions').where('document_id', '=', documentId).execute();
  }

  /** Queues a document's vectors for deletion (a batch landed in Chroma after the document was deleted). */
  async orphaned(documentId: string): Promise<void> {
    await this.db
      .insertInto('kb_vector_deletions')
      .values({ document_id: documentId })
      .onConflict((oc) => oc.column('document_id').doNothing())
      .execute();
  }

  /** The oldest document still to embed. */
  nextPending(): Promise<DocRow | undefined> {
    return this.db
      .selectFrom('kb_documents')
      .select(DOC_COLUMNS)
      .where('status', 'in', ['queued', 'ingesting'])
      .orderBy('created_at')
      .orderBy('rowid')
      .limit(1)
      .executeTakeFirst();
  }

  async beginIngestion(id: string, embedder: string): Promise<void> {
    await this.db
      .updateTable('kb_documents')
      .set({ status: 'ingesting', embedder, error: null, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  pendingChunks(documentId: string, limit: number): Promise<PendingChunk[]> {
    return this.db
      .selectFrom('kb_chunks')
      .select(['id', 'section', 'text'])
      .where('document_id', '=', documentId)
      .where('embedded', '=', 0)
      .orderBy('ordinal')
      .limit(limit)
      .execute();
  }

  /** Marks chunks embedded and updates the document's progress, in one step. False if the document is gone. */
  markEmbedded(documentId: string, ids: string[]): Promise<boolean> {
    return this.store.transaction(async (trx) => {
      let find = trx.selectFrom('kb_documents').select('id').where('id', '=', documentId);
      if (this.dialect === 'postgres') find = find.forUpdate();
      if (!(await find.executeTakeFirst())) return false;
      if (ids.length)
        await trx.updateTable('kb_chunks').set({ embedded: 1 }).where('id', 'in', ids).execute();
      await trx
        .updateTable('kb_documents')
        .set((eb) => ({
          chunks_done: eb
            .selectFrom('kb_chunks')
            .select((e) => e.fn.countAll<number>().as('n'))
            .where('document_id', '=', documentId)
            .where('embedded', '=', 1),
          updated_at: new Date().toISOString(),
        }))
        .where('id', '=', documentId)
        .execute();
      return true;
    });
  }

  async setStatus(id: string, status: Status, error?: string): Promise<void> {
    await this.db
      .updateTable('kb_documents')
      .set({ status, error: error ?? null, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Queues documents for (re-)embedding: failed ones, those embedded by another embedder, and — when
   * `lostVectorsOf` is given — those whose vectors were in a collection that no longer exists.
   */
  requeue(which: { failed?: boolean; notEmbeddedBy?: string; lostVectorsOf?: string }): Promise<number> {
    if (!which.failed && !which.notEmbeddedBy && !which.lostVectorsOf) return Promise.resolve(0);
    return this.store.transaction(async (trx) => {
      const rows = await trx
        .selectFrom('kb_documents')
        .select('id')
        .where((eb) => {
          const conds = [];
          if (which.failed) conds.push(eb('status', '=', 'failed'));
          if (which.notEmbeddedBy)
            conds.push(eb.and([eb('embedder', 'is not', null), eb('embedder', '<>', which.notEmbeddedBy)]));
          if (which.lostVectorsOf)
            conds.push(eb.and([eb('embedder', '=', which.lostVectorsOf), eb('chunks_done', '>', 0)]));
          return eb.or(conds);
        })
        .execute();
      const ids = rows.map((r) => r.id);
      if (!ids.length) return 0;
      await trx.updateTable('kb_chunks').set({ embedded: 0 }).where('document_id', 'in', ids).execute();
      await trx
        .updateTable('kb_documents')
        .set({
          status: 'queued',
          chunks_done: 0,
          embedder: null,
          error: null,
          updated_at: new Date().toISOString(),
        })
        .where('id', 'in', ids)
        .execute();
      return ids.length;
    });
  }

  /**
   * The lexical leg: chunk ids best first (see lexicalSearch). It may be a moment stale (the read replica
   * with DATABASE_READ_URL); the passages of the ids found are read from the primary.
   */
  lexical(terms: string[], limit: number): Promise<string[]> {
    if (terms.length === 0) return Promise.resolve([]);
    return lexicalSearch(this.store.reader(), this.dialect, terms, limit);
  }

  /** The passages for `ids` (unknown ids are left out), keyed by id. */
  async passages(ids: string[]): Promise<Map<string, ChunkHit>> {
    const out = new Map<string, ChunkHit>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('kb_chunks as c')
      .innerJoin('kb_documents as d', 'd.id', 'c.document_id')
      .select([
        'c.id as chunkId',
        'c.document_id as documentId',
        'd.title',
        'c.section',
        'c.text',
        'c.ordinal',
      ])
      .where('c.id', 'in', ids)
      .execute();
    for (const r of rows) out.set(r.chunkId, r);
    return out;
  }

  async passage(chunkId: string): Promise<Passage | undefined> {
    const r = (await this.passages([chunkId])).get(chunkId);
    return (
      r && { chunkId: r.chunkId, documentId: r.documentId, title: r.title, section: r.section, text: r.text }
    );
  }

  /** Documents per status (a figure: the read replica may serve it). */
  async counts(): Promise<Record<Status, number>> {
    const out: Record<Status, number> = { queued: 0, ingesting: 0, ready: 0, failed: 0 };
    const rows = await this.store
      .reader()
      .selectFrom('kb_documents')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  private async insertChunks(trx: Db, documentId: string, title: string, chunks: Chunk[]): Promise<void> {
    const rows = chunks.map((c, i) => ({
      id: chunkId(documentId, i),
      document_id: documentId,
      ordinal: i,
      section: c.section,
      text: c.text,
      chars: c.text.length,
      tokens: words(c.text).length,
    }));
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await trx
        .insertInto('kb_chunks')
        .values(rows.slice(i, i + INSERT_BATCH))
        .execute();
    }
    await indexChunks(trx, this.dialect, documentId, title);
  }
}
