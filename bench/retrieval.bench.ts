/**
 * Retrieval: ingest the real manual (../shared/corpus, both .txt files) with the offline embedding into
 * a real Chroma process and the knowledge store on each backend (a temp SQLite file; a fresh PostgreSQL
 * database when MSI_TEST_DATABASE_URL's server answers, default postgres://root@127.0.0.1:5432/postgres);
 * ingestion time, search latency p50/p95 and recall@5 over corpus-questions.json; then recall@5 on the
 * product's sample documentation (sample-questions.json). Each leg alone too, and the lexical leg's
 * parity: PostgreSQL's recall@5 minus SQLite's (the issue asks for |gap| ≤ 0.03).
 * SQLite's figures keep their names (retrieval.corpus.…); PostgreSQL's have `.postgres.` after the set.
 */
import { existsSync } from 'node:fs';
import { offlineEmbedder, type KnowledgeBase } from '../services/api/src/knowledge/index.js';
import { backends, type Backend } from '../test/support/database.js';
import {
  CORPUS_DIR,
  loadQuestions,
  measureRecall,
  SAMPLE_DOCS_DIR,
  startRetrieval,
  type CorpusQuestion,
  type SampleQuestion,
} from '../test/support/retrieval.js';
import { figure, latencyFigures, printFigures } from './lib.js';

const PARITY = 0.03;

/** Recall@5 of each leg alone: what each brings, and whether fusing them beats the better one. */
async function legs(kb: KnowledgeBase, name: string, questions: (CorpusQuestion | SampleQuestion)[]) {
  const out: Record<string, number> = {};
  for (const leg of ['lexical', 'vector'] as const) {
    const { recall } = await measureRecall(kb, questions, 5, { legs: leg });
    figure(`${name}.recall_at_5_${leg}_only`, recall, 'ratio');
    out[leg] = recall;
  }
  return out;
}

const prefix = (set: string, backend: Backend) =>
  backend === 'sqlite' ? `retrieval.${set}` : `retrieval.${set}.postgres`;

function parity(set: string, lexical: Map<Backend, number>) {
  const sqlite = lexical.get('sqlite');
  const postgres = lexical.get('postgres');
  if (sqlite === undefined || postgres === undefined) return;
  const gap = postgres - sqlite;
  console.log(
    `${set}: lexical recall@5 sqlite ${sqlite.toFixed(3)}, postgres ${postgres.toFixed(3)}, gap ${gap.toFixed(3)} (${Math.abs(gap) <= PARITY ? 'within' : 'NOT within'} ${PARITY})`,
  );
  figure(`retrieval.${set}.lexical_recall_gap_postgres_minus_sqlite`, gap, 'ratio');
}

const runs = backends();
if (!runs.includes('postgres')) console.log('postgres: MSI_TEST_DATABASE_URL is empty; SQLite figures only');

// The real manual, when ../shared/corpus is beside the repository (it is test data, not shipped).
if (!existsSync(CORPUS_DIR)) {
  console.log(`corpus: ${CORPUS_DIR} is not there; skipping the real manual's figures`);
} else {
  const lexical = new Map<Backend, number>();
  for (const backend of runs) {
    const name = prefix('corpus', backend);
    const { kb, stop } = await startRetrieval(CORPUS_DIR, backend, 'bench_corpus');
    try {
      const t = performance.now();
      await kb.start();
      await kb.idle();
      const seconds = (performance.now() - t) / 1000;
      const docs = await kb.list();
      const chunks = docs.reduce((n, d) => n + d.chunksDone, 0);
      const bytes = docs.reduce((n, d) => n + d.bytes, 0);
      console.log(
        `corpus (${backend}): ${docs.length} files, ${(bytes / 1024).toFixed(0)} KiB, ${chunks} chunks (offline embedder ${offlineEmbedder().id}, ${offlineEmbedder().dimensions} dimensions, batches of 32)`,
      );
      figure(`${name}.ingest_seconds`, seconds, 's');
      figure(`${name}.ingest_chunks_per_second`, chunks / seconds, 'chunks/s');
      const questions = loadQuestions<CorpusQuestion>('corpus-questions.json');
      await measureRecall(kb, questions.slice(0, 5), 5); // warm-up
      const { recall, misses, latencies } = await measureRecall(kb, questions, 5);
      console.log(`corpus (${backend}): ${questions.length} questions, ${misses.length} misses`);
      for (const m of misses) console.log(`  miss: ${m}`);
      latencyFigures(`${name}.search`, latencies);
      const lex = await measureRecall(kb, questions, 5, { legs: 'lexical' });
      latencyFigures(`${name}.lexical_search`, lex.latencies);
      figure(`${name}.recall_at_5`, recall, 'ratio');
      lexical.set(backend, (await legs(kb, name, questions)).lexical!);
    } finally {
      await stop();
    }
  }
  parity('corpus', lexical);
}

// The product's sample documentation.
{
  const lexical = new Map<Backend, number>();
  for (const backend of runs) {
    const name = prefix('sample', backend);
    const { kb, stop } = await startRetrieval(SAMPLE_DOCS_DIR, backend, 'bench_sample');
    try {
      await kb.start();
      await kb.idle();
      const questions = loadQuestions<SampleQuestion>('sample-questions.json');
      const { recall, misses, latencies } = await measureRecall(kb, questions, 5);
      console.log(
        `sample docs (${backend}): ${(await kb.list()).length} articles, ${questions.length} questions, ${misses.length} misses`,
      );
      latencyFigures(`${name}.search`, latencies);
      figure(`${name}.recall_at_5`, recall, 'ratio');
      lexical.set(backend, (await legs(kb, name, questions)).lexical!);
    } finally {
      await stop();
    }
  }
  parity('sample', lexical);
}

printFigures();
