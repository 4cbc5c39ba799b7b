/**
 * Retrieval: ingest the real manual (../shared/corpus, both .txt files) with the offline embedding into a
 * temp SQLite file + a real Chroma process; ingestion time, search latency p50/p95 and recall@5 over
 * corpus-questions.json; then recall@5 on the product's sample documentation (sample-questions.json).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, openDatabase } from '@msi/kit';
import {
  createKnowledgeBase,
  offlineEmbedder,
  type KnowledgeBase,
} from '../services/api/src/knowledge/index.js';
import { startChroma } from '../test/support/chroma.js';
import {
  CORPUS_DIR,
  loadQuestions,
  measureRecall,
  SAMPLE_DOCS_DIR,
  type CorpusQuestion,
  type SampleQuestion,
} from '../test/support/retrieval.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { figure, latencyFigures, printFigures } from './lib.js';

async function run(name: string, docsDir: string) {
  const tmp = tempDataDir(`msi-bench-${name}-`);
  const chroma = await startChroma({ dataDir: join(tmp.dir, 'chroma') });
  const db = openDatabase(join(tmp.dir, 'api.db'), []);
  const kb = createKnowledgeBase({
    db,
    chromaUrl: chroma.url,
    embedder: offlineEmbedder(),
    docsDir,
    log: createLogger('bench', 'warn'),
  });
  const stop = async () => {
    await kb.close();
    db.close();
    await chroma.stop();
    tmp.cleanup();
  };
  return { kb, stop };
}

/** Recall@5 of each leg alone: what each brings, and whether fusing them beats the better one. */
async function legs(kb: KnowledgeBase, name: string, questions: (CorpusQuestion | SampleQuestion)[]) {
  for (const leg of ['lexical', 'vector'] as const) {
    const { recall } = await measureRecall(kb, questions, 5, { legs: leg });
    figure(`retrieval.${name}.recall_at_5_${leg}_only`, recall, 'ratio');
  }
}

// The real manual, when ../shared/corpus is beside the repository (it is test data, not shipped).
if (!existsSync(CORPUS_DIR)) {
  console.log(`corpus: ${CORPUS_DIR} is not there; skipping the real manual's figures`);
} else {
  const { kb, stop } = await run('corpus', CORPUS_DIR);
  try {
    const t = performance.now();
    await kb.start();
    await kb.idle();
    const seconds = (performance.now() - t) / 1000;
    const docs = kb.list();
    const chunks = docs.reduce((n, d) => n + d.chunksDone, 0);
    const bytes = docs.reduce((n, d) => n + d.bytes, 0);
    console.log(
      `corpus: ${docs.length} files, ${(bytes / 1024).toFixed(0)} KiB, ${chunks} chunks (offline embedder ${offlineEmbedder().id}, ${offlineEmbedder().dimensions} dimensions, batches of 32)`,
    );
    figure('retrieval.corpus.ingest_seconds', seconds, 's');
    figure('retrieval.corpus.ingest_chunks_per_second', chunks / seconds, 'chunks/s');
    const questions = loadQuestions<CorpusQuestion>('corpus-questions.json');
    await measureRecall(kb, questions.slice(0, 5), 5); // warm-up
    const { recall, misses, latencies, answerInSnippet } = await measureRecall(kb, questions, 5);
    figure('retrieval.corpus.answer_in_snippet', answerInSnippet, 'ratio');
    console.log(`corpus: ${questions.length} questions, ${misses.length} misses`);
    for (const m of misses) console.log(`  miss: ${m}`);
    latencyFigures('retrieval.corpus.search', latencies);
    figure('retrieval.corpus.recall_at_5', recall, 'ratio');
    await legs(kb, 'corpus', questions);
  } finally {
    await stop();
  }
}

// The product's sample documentation.
{
  const { kb, stop } = await run('sample', SAMPLE_DOCS_DIR);
  try {
    await kb.start();
    await kb.idle();
    const questions = loadQuestions<SampleQuestion>('sample-questions.json');
    const { recall, misses, latencies, answerInSnippet } = await measureRecall(kb, questions, 5);
    // The snippet a citation shows is the sentence that answers: how often the answer text is in it.
    figure('retrieval.sample.answer_in_snippet', answerInSnippet, 'ratio');
    console.log(
      `sample docs: ${kb.list().length} articles, ${questions.length} questions, ${misses.length} misses`,
    );
    latencyFigures('retrieval.sample.search', latencies);
    figure('retrieval.sample.recall_at_5', recall, 'ratio');
    await legs(kb, 'sample', questions);
  } finally {
    await stop();
  }
}

printFigures();
