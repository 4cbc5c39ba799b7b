/** The knowledge module's tables in the API's SQLite file (kit `applyMigrations`, module "knowledge"). */
import { applyMigrations, type Db, type SqliteMigration } from '@msi/kit';

const MIGRATIONS: SqliteMigration[] = [
  `CREATE TABLE kb_documents (
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
  // The chunker version that cut a document's chunks: documents of an older one are chunked again on start.
  `ALTER TABLE kb_documents ADD COLUMN chunker INTEGER NOT NULL DEFAULT 1;`,
];

export function migrateKnowledge(db: Db): void {
  applyMigrations(db, 'knowledge', MIGRATIONS);
}
