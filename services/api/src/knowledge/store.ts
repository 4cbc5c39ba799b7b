/**
 * The knowledge base in SQLite: documents, their chunks, the FTS5 index (the lexical leg), and the
 * bookkeeping that makes ingestion resumable. Every multi-row change is one transaction.
 */
import type { Db } from '@msi/kit';
import type { KnowledgeDocument, Passage } from '../contract.js';
import { CHUNKER_VERSION, type Chunk } from './chunker.js';
import { words } from './text.js';

type Status = KnowledgeDocument['status'];

interface DocRow {
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

const DOC_COLUMNS = `id, title, filename, media_type, bytes, sha256, source, status, chunks_done, chunks_total, error,
  uploaded_by, embedder, created_at`;

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

export class KnowledgeStore {
  constructor(private readonly db: Db) {}

  list(): KnowledgeDocument[] {
    const rows = this.db
      .prepare(`SELECT ${DOC_COLUMNS} FROM kb_documents ORDER BY created_at DESC, title`)
      .all() as DocRow[];
    return rows.map(toDocument);
  }

  get(id: string): KnowledgeDocument | undefined {
    const r = this.row(id);
    return r && toDocument(r);
  }

  /** The document's text as it was added (Markdown or plain text). */
  content(id: string): string | undefined {
    const r = this.db.prepare('SELECT content FROM kb_documents WHERE id = ?').get(id) as
      { content: string } | undefined;
    return r?.content;
  }

  row(id: string): DocRow | undefined {
    return this.db.prepare(`SELECT ${DOC_COLUMNS} FROM kb_documents WHERE id = ?`).get(id) as
      DocRow | undefined;
  }

  bySha256(sha256: string): KnowledgeDocument | undefined {
    const r = this.db
      .prepare(`SELECT ${DOC_COLUMNS} FROM kb_documents WHERE sha256 = ? ORDER BY created_at LIMIT 1`)
      .get(sha256) as DocRow | undefined;
    return r && toDocument(r);
  }

  builtin(filename: string): { id: string; sha256: string } | undefined {
    return this.db
      .prepare(`SELECT id, sha256 FROM kb_documents WHERE source = 'builtin' AND filename = ?`)
      .get(filename) as { id: string; sha256: string } | undefined;
  }

  isDismissed(filename: string, sha256: string): boolean {
    return !!this.db
      .prepare('SELECT 1 FROM kb_dismissed_builtins WHERE filename = ? AND sha256 = ?')
      .get(filename, sha256);
  }

  /** A new document with all its chunks (and their FTS rows), queued for embedding. */
  insert(doc: NewDocument, chunks: Chunk[]): KnowledgeDocument {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO kb_documents (id, title, filename, media_type, bytes, sha256, source, status, chunks_total, content,
             uploaded_by, created_at, updated_at, chunker)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          doc.id,
          doc.title,
          doc.filename,
          doc.mediaType,
          doc.bytes,
          doc.sha256,
          doc.source,
          chunks.length,
          doc.content,
          doc.uploadedBy ?? null,
          now,
          now,
          CHUNKER_VERSION,
        );
      if (doc.source === 'builtin')
        this.db.prepare('DELETE FROM kb_dismissed_builtins WHERE filename = ?').run(doc.filename);
      this.insertChunks(doc.id, doc.title, chunks);
    })();
    return this.get(doc.id)!;
  }

  /** New content for an existing document: old chunks out, new chunks in, embedding starts over. */
  replace(
    id: string,
    doc: Pick<NewDocument, 'title' | 'bytes' | 'sha256' | 'content'>,
    chunks: Chunk[],
  ): void {
    this.db.transaction(() => {
      this.deleteChunks(id);
      this.db
        .prepare(
          `UPDATE kb_documents SET title = ?, bytes = ?, sha256 = ?, content = ?, status = 'queued', chunks_done = 0,
             chunks_total = ?, error = NULL, embedder = NULL, chunker = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          doc.title,
          doc.bytes,
          doc.sha256,
          doc.content,
          chunks.length,
          CHUNKER_VERSION,
          new Date().toISOString(),
          id,
        );
      this.insertChunks(id, doc.title, chunks);
      // Vectors of the old version (there may be more of them than new chunks) are cleared before embedding.
    })();
  }

  /** Documents whose chunks were cut by an older chunker, with what it takes to cut them again. */
  chunkedBefore(version: number): (Pick<
    DocRow,
    'id' | 'title' | 'filename' | 'media_type' | 'bytes' | 'sha256' | 'source'
  > & {
    content: string;
  })[] {
    return this.db
      .prepare(
        `SELECT id, title, filename, media_type, bytes, sha256, source, content FROM kb_documents
         WHERE chunker < ? ORDER BY created_at, rowid`,
      )
      .all(version) as ReturnType<KnowledgeStore['chunkedBefore']>;
  }

  /** Deletes document, chunks and FTS rows; its vectors are queued for deletion from Chroma. */
  delete(id: string): boolean {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT filename, sha256, source FROM kb_documents WHERE id = ?').get(id) as
        { filename: string; sha256: string; source: string } | undefined;
      if (!r) return false;
      this.deleteChunks(id);
      this.db.prepare('DELETE FROM kb_documents WHERE id = ?').run(id);
      this.db.prepare('INSERT OR IGNORE INTO kb_vector_deletions (document_id) VALUES (?)').run(id);
      if (r.source === 'builtin') {
        this.db
          .prepare(
            'INSERT INTO kb_dismissed_builtins (filename, sha256) VALUES (?, ?) ON CONFLICT (filename) DO UPDATE SET sha256 = excluded.sha256',
          )
          .run(r.filename, r.sha256);
      }
      return true;
    })();
  }

  pendingVectorDeletions(): string[] {
    return (
      this.db.prepare('SELECT document_id FROM kb_vector_deletions').all() as { document_id: string }[]
    ).map((r) => r.document_id);
  }

  vectorsDeleted(documentId: string): void {
    this.db.prepare('DELETE FROM kb_vector_deletions WHERE document_id = ?').run(documentId);
  }

  /** Queues a document's vectors for deletion (a batch landed in Chroma after the document was deleted). */
  orphaned(documentId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO kb_vector_deletions (document_id) VALUES (?)').run(documentId);
  }

  /** The oldest document still to embed. */
  nextPending(): DocRow | undefined {
    return this.db
      .prepare(
        `SELECT ${DOC_COLUMNS} FROM kb_documents WHERE status IN ('queued', 'ingesting') ORDER BY created_at, rowid LIMIT 1`,
      )
      .get() as DocRow | undefined;
  }

  beginIngestion(id: string, embedder: string): void {
    this.db
      .prepare(
        `UPDATE kb_documents SET status = 'ingesting', embedder = ?, error = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(embedder, new Date().toISOString(), id);
  }

  pendingChunks(documentId: string, limit: number): PendingChunk[] {
    return this.db
      .prepare(
        'SELECT id, section, text FROM kb_chunks WHERE document_id = ? AND embedded = 0 ORDER BY ordinal LIMIT ?',
      )
      .all(documentId, limit) as PendingChunk[];
  }

  /** Marks chunks embedded and updates the document's progress, in one step. False if the document is gone. */
  markEmbedded(documentId: string, ids: string[]): boolean {
    return this.db.transaction(() => {
      if (!this.row(documentId)) return false;
      const mark = this.db.prepare('UPDATE kb_chunks SET embedded = 1 WHERE id = ?');
      for (const id of ids) mark.run(id);
      this.db
        .prepare(
          `UPDATE kb_documents SET chunks_done = (SELECT count(*) FROM kb_chunks WHERE document_id = ? AND embedded = 1),
             updated_at = ? WHERE id = ?`,
        )
        .run(documentId, new Date().toISOString(), documentId);
      return true;
    })();
  }

  setStatus(id: string, status: Status, error?: string): void {
    this.db
      .prepare('UPDATE kb_documents SET status = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(status, error ?? null, new Date().toISOString(), id);
  }

  /**
   * Queues documents for (re-)embedding: failed ones, those embedded by another embedder, and — when
   * `lostVectorsOf` is given — those whose vectors were in a collection that no longer exists.
   */
  requeue(which: { failed?: boolean; notEmbeddedBy?: string; lostVectorsOf?: string }): number {
    return this.db.transaction(() => {
      const conds: string[] = [];
      const args: string[] = [];
      if (which.failed) conds.push(`status = 'failed'`);
      if (which.notEmbeddedBy) {
        conds.push('(embedder IS NOT NULL AND embedder <> ?)');
        args.push(which.notEmbeddedBy);
      }
      if (which.lostVectorsOf) {
        conds.push('(embedder = ? AND chunks_done > 0)');
        args.push(which.lostVectorsOf);
      }
      if (!conds.length) return 0;
      const ids = (
        this.db.prepare(`SELECT id FROM kb_documents WHERE ${conds.join(' OR ')}`).all(...args) as {
          id: string;
        }[]
      ).map((r) => r.id);
      for (const id of ids) {
        this.db.prepare('UPDATE kb_chunks SET embedded = 0 WHERE document_id = ?').run(id);
        this.db
          .prepare(
            `UPDATE kb_documents SET status = 'queued', chunks_done = 0, embedder = NULL, error = NULL, updated_at = ? WHERE id = ?`,
          )
          .run(new Date().toISOString(), id);
      }
      return ids.length;
    })();
  }

  /** BM25 over title, section and text (section and title weigh more); chunk ids best first. */
  lexical(terms: string[], limit: number): string[] {
    if (terms.length === 0) return [];
    const match = terms.map((t) => `"${t}"`).join(' OR ');
    const rows = this.db
      .prepare(
        `SELECT c.id FROM kb_chunks_fts f JOIN kb_chunks c ON c.seq = f.rowid
         WHERE kb_chunks_fts MATCH ? ORDER BY bm25(kb_chunks_fts, 2.0, 3.0, 1.0) LIMIT ?`,
      )
      .all(match, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** The passages for `ids` (unknown ids are left out), keyed by id. */
  passages(ids: string[]): Map<string, ChunkHit> {
    const out = new Map<string, ChunkHit>();
    if (ids.length === 0) return out;
    const rows = this.db
      .prepare(
        `SELECT c.id AS chunkId, c.document_id AS documentId, d.title, c.section, c.text, c.ordinal
         FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id
         WHERE c.id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as ChunkHit[];
    for (const r of rows) out.set(r.chunkId, r);
    return out;
  }

  passage(chunkId: string): Passage | undefined {
    const r = this.passages([chunkId]).get(chunkId);
    return (
      r && { chunkId: r.chunkId, documentId: r.documentId, title: r.title, section: r.section, text: r.text }
    );
  }

  /** Documents per status. */
  counts(): Record<Status, number> {
    const out: Record<Status, number> = { queued: 0, ingesting: 0, ready: 0, failed: 0 };
    for (const r of this.db
      .prepare('SELECT status, count(*) AS n FROM kb_documents GROUP BY status')
      .all() as { status: Status; n: number }[]) {
      out[r.status] = r.n;
    }
    return out;
  }

  private insertChunks(documentId: string, title: string, chunks: Chunk[]): void {
    const chunk = this.db.prepare(
      'INSERT INTO kb_chunks (id, document_id, ordinal, section, text, chars, tokens) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const fts = this.db.prepare(
      'INSERT INTO kb_chunks_fts (rowid, title, section, text) VALUES (?, ?, ?, ?)',
    );
    chunks.forEach((c, i) => {
      const { lastInsertRowid } = chunk.run(
        chunkId(documentId, i),
        documentId,
        i,
        c.section,
        c.text,
        c.text.length,
        words(c.text).length,
      );
      fts.run(lastInsertRowid, title, c.section, c.text);
    });
  }

  private deleteChunks(documentId: string): void {
    this.db
      .prepare('DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT seq FROM kb_chunks WHERE document_id = ?)')
      .run(documentId);
    this.db.prepare('DELETE FROM kb_chunks WHERE document_id = ?').run(documentId);
  }
}
