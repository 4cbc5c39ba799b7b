/**
 * The knowledge module's tables in the API's database (kit `openStore`, module "knowledge"), both
 * backends side by side: entry i is schema version i + 1. SQLite keeps the SQL existing data dirs were
 * made with (an FTS5 table is the lexical index); PostgreSQL has the same tables, a `tsvector` column on
 * each chunk (title, section and text weighted) with a GIN index, a bigserial `rowid` where SQLite's
 * implicit rowid orders rows, and TIMESTAMPTZ for the times.
 */
import type { Generated } from 'kysely';
import type { Migration } from '@msi/kit';
import type { KnowledgeDocument } from '../contract.js';

export const knowledgeMigrations: Migration[] = [
  {
    sqlite: `CREATE TABLE kb_documents (
     id           TEXT PRIMARY KEY,
     title        TEXT NOT NULL,
     filename     TEXT NOT NULL,
     media_type   TEXT NOT NULL,
     bytes        INTEGER NOT NULL,
     sha256       TEXT NOT NULL,
     source       TEXT NOT NULL CHECK (source IN ('builtin', 'upload')),
     status       TEXT NOT NULL CHECK (status IN ('queued', 'ingesting', 'ready', 'failed')),
     chunks_done  INTEGER NOT NULL DEFAULT 0,
     chunks_total INTEGER NOT NULL DEFAULT 0,
     error        TEXT,
     content      TEXT NOT NULL,
     uploaded_by  TEXT,
     embedder     TEXT,            -- the embedder whose vectors are (being) stored for this document
     created_at   TEXT NOT NULL,
     updated_at   TEXT NOT NULL
   );
   CREATE INDEX kb_documents_sha256 ON kb_documents (sha256);
   CREATE UNIQUE INDEX kb_documents_builtin ON kb_documents (filename) WHERE source = 'builtin';
   CREATE INDEX kb_documents_pending ON kb_documents (status, created_at) WHERE status <> 'ready';

   -- seq is the FTS rowid; id is deterministic (document id + ordinal) and is the Chroma record id.
   CREATE TABLE kb_chunks (
     seq         INTEGER PRIMARY KEY,
     id          TEXT NOT NULL UNIQUE,
     document_id TEXT NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
     ordinal     INTEGER NOT NULL,
     section     TEXT NOT NULL,
     text        TEXT NOT NULL,
     chars       INTEGER NOT NULL,
     tokens      INTEGER NOT NULL,
     embedded    INTEGER NOT NULL DEFAULT 0,
     UNIQUE (document_id, ordinal)
   );
   CREATE INDEX kb_chunks_pending ON kb_chunks (document_id, embedded, ordinal);

   CREATE VIRTUAL TABLE kb_chunks_fts USING fts5 (title, section, text, tokenize = 'porter unicode61 remove_diacritics 2');

   -- Vectors of deleted documents still to be removed from Chroma (it may be down when the delete happens).
   CREATE TABLE kb_vector_deletions (document_id TEXT PRIMARY KEY);

   -- Built-in documents a person deleted: not brought back on the next start unless the shipped file changes.
   CREATE TABLE kb_dismissed_builtins (filename TEXT PRIMARY KEY, sha256 TEXT NOT NULL);`,
    postgres: `CREATE TABLE kb_documents (
     rowid        BIGSERIAL NOT NULL UNIQUE,
     id           TEXT PRIMARY KEY,
     title        TEXT NOT NULL,
     filename     TEXT NOT NULL,
     media_type   TEXT NOT NULL,
     bytes        INTEGER NOT NULL,
     sha256       TEXT NOT NULL,
     source       TEXT NOT NULL CHECK (source IN ('builtin', 'upload')),
     status       TEXT NOT NULL CHECK (status IN ('queued', 'ingesting', 'ready', 'failed')),
     chunks_done  INTEGER NOT NULL DEFAULT 0,
     chunks_total INTEGER NOT NULL DEFAULT 0,
     error        TEXT,
     content      TEXT NOT NULL,
     uploaded_by  TEXT,
     embedder     TEXT,
     created_at   TIMESTAMPTZ NOT NULL,
     updated_at   TIMESTAMPTZ NOT NULL
   );
   CREATE INDEX kb_documents_sha256 ON kb_documents (sha256);
   CREATE UNIQUE INDEX kb_documents_builtin ON kb_documents (filename) WHERE source = 'builtin';
   CREATE INDEX kb_documents_pending ON kb_documents (status, created_at) WHERE status <> 'ready';

   -- tsv: the lexical index of the chunk (document title B, section A, text C), written with the chunk.
   CREATE TABLE kb_chunks (
     seq         BIGSERIAL PRIMARY KEY,
     id          TEXT NOT NULL UNIQUE,
     document_id TEXT NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
     ordinal     INTEGER NOT NULL,
     section     TEXT NOT NULL,
     text        TEXT NOT NULL,
     chars       INTEGER NOT NULL,
     tokens      INTEGER NOT NULL,
     embedded    INTEGER NOT NULL DEFAULT 0,
     tsv         TSVECTOR,
     UNIQUE (document_id, ordinal)
   );
   CREATE INDEX kb_chunks_pending ON kb_chunks (document_id, embedded, ordinal);
   CREATE INDEX kb_chunks_tsv ON kb_chunks USING GIN (tsv);

   CREATE TABLE kb_vector_deletions (document_id TEXT PRIMARY KEY);
   CREATE TABLE kb_dismissed_builtins (filename TEXT PRIMARY KEY, sha256 TEXT NOT NULL);`,
  },
  // that cut a document's chunks: documents of an older one are chunked again on start.
  {
    sqlite: `ALTER TABLE kb_documents ADD COLUMN chunker INTEGER NOT NULL DEFAULT 1;`,
    postgres: `ALTER TABLE kb_documents ADD COLUMN chunker INTEGER NOT NULL DEFAULT 1;`,
  },
];

/** The tables as Kysely sees them (the lexical index, FTS5 table or tsvector column, only in raw SQL). */
export interface KnowledgeTables {
  kb_documents: {
    rowid: Generated<number>;
    id: string;
    title: string;
    filename: string;
    media_type: string;
    bytes: number;
    sha256: string;
    source: KnowledgeDocument['source'];
    status: KnowledgeDocument['status'];
    chunks_done: Generated<number>;
    chunks_total: Generated<number>;
    error: string | null;
    content: string;
    uploaded_by: string | null;
    embedder: string | null;
    created_at: string;
    updated_at: string;
    chunker: Generated<number>;
  };
  kb_chunks: {
    seq: Generated<number>;
    id: string;
    document_id: string;
    ordinal: number;
    section: string;
    text: string;
    chars: number;
    tokens: number;
    embedded: Generated<number>;
  };
  kb_vector_deletions: { document_id: string };
  kb_dismissed_builtins: { filename: string; sha256: string };
}
