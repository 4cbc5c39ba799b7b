/**
 * Retrieval quality over a labelled question set, shared by the recall test and the retrieval benchmark.
 * Sample docs: a hit is a top-k result from the labelled document whose section ends with the labelled
 * section, or whose text contains `answerContains`. Corpus: a hit is a top-k result whose text contains
 * `answerContains` (whitespace-normalized, case-insensitive). `startRetrieval` ingests a docs folder
 * into a knowledge base on either backend with its own Chroma process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, openStore, type Store } from '@msi/kit';
import {
  createKnowledgeBase,
  offlineEmbedder,
  type KnowledgeBase,
  type KnowledgeBaseOptions,
  type SearchOptions,
} from '../../services/api/src/knowledge/index.js';
import { knowledgeMigrations, type KnowledgeTables } from '../../services/api/src/knowledge/schema.js';
import { startChroma } from './chroma.js';
import { tempDataDir } from './data-dir.js';
import { freshDatabase, type Backend } from './database.js';
import { ROOT } from './services.js';

export interface SampleQuestion {
  question: string;
  document: string;
  section: string;
  answerContains: string;
}

export interface CorpusQuestion {
  question: string;
  file: string;
  answerContains: string;
}

export const SAMPLE_DOCS_DIR = join(ROOT, 'resources', 'docs');
export const CORPUS_DIR = join(ROOT, '..', 'shared', 'corpus');

export function loadQuestions<T>(name: 'sample-questions.json' | 'corpus-questions.json'): T[] {
  return JSON.parse(readFileSync(join(ROOT, 'services', 'api', 'test', 'fixtures', name), 'utf8')) as T[];
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Runs every question; returns recall@k, the misses, and each search's latency in ms. `opts.legs`
 * measures one leg of the hybrid search alone.
 */
export async function measureRecall(
  kb: KnowledgeBase,
  questions: (SampleQuestion | CorpusQuestion)[],
  k = 5,
  opts: SearchOptions = {},
): Promise<{
  recall: number;
  misses: string[];
  latencies: number[];
  /** Of the questions whose answer text is in a found passage: how many show it in that citation's snippet. */
  answerInSnippet: number;
}> {
  const misses: string[] = [];
  const latencies: number[] = [];
  let answerInPassage = 0;
  let answerInSnippet = 0;
  for (const q of questions) {
    const t = performance.now();
    const results = await kb.search(q.question, k, opts);
    latencies.push(performance.now() - t);
    let hit = false;
    for (const c of results) {
      if (norm((await kb.passage(c.chunkId))?.text ?? '').includes(norm(q.answerContains))) hit = true;
      else if ('section' in q && c.section.endsWith(q.section))
        hit = (await kb.get(c.documentId))?.filename === q.document;
      if (hit) break;
    }
    if (!hit) misses.push(q.question);
    let withAnswer: (typeof results)[number] | undefined;
    for (const c of results) {
      if (norm((await kb.passage(c.chunkId))?.text ?? '').includes(norm(q.answerContains))) {
        withAnswer = c;
        break;
      }
    }
    if (withAnswer) {
      answerInPassage++;
      if (norm(withAnswer.snippet).includes(norm(q.answerContains))) answerInSnippet++;
    }
  }
  return {
    recall: (questions.length - misses.length) / questions.length,
    misses,
    latencies,
    answerInSnippet: answerInPassage ? answerInSnippet / answerInPassage : 0,
  };
}

export interface RunningRetrieval {
  kb: KnowledgeBase;
  store: Store<KnowledgeTables>;
  /** Closes the knowledge base, its store and Chroma; drops the PostgreSQL database, removes the files. */
  stop(): Promise<void>;
}

/**
 * A knowledge base over `docsDir` (not yet started) with the offline embedder, a real Chroma process and
 * the knowledge store on `backend`: a temp SQLite file, or a fresh PostgreSQL database.
 */
export async function startRetrieval(
  docsDir: string,
  backend: Backend,
  label = 'retrieval',
  /** More knowledge base options (a job queue, a search cache: the jobs and cache benches). */
  extra: Partial<KnowledgeBaseOptions> = {},
): Promise<RunningRetrieval> {
  const tmp = tempDataDir(`msi-${label}-`);
  const undo: (() => Promise<unknown> | unknown)[] = [() => tmp.cleanup()];
  const stop = async () => {
    for (const u of undo.splice(0).reverse()) await u();
  };
  try {
    const chroma = await startChroma({ dataDir: join(tmp.dir, 'chroma') });
    undo.push(() => chroma.stop());
    const pg = backend === 'postgres' ? await freshDatabase(label) : undefined;
    if (pg) undo.push(() => pg.drop());
    const store = await openStore<KnowledgeTables>({
      service: 'api',
      module: 'knowledge',
      url: pg?.url,
      file: join(tmp.dir, 'api.db'),
      migrations: knowledgeMigrations,
    });
    undo.push(() => store.close());
    const kb = createKnowledgeBase({
      store,
      chromaUrl: chroma.url,
      embedder: offlineEmbedder(),
      docsDir,
      log: createLogger(label, 'warn'),
      // Search latency and recall are measured on the searches themselves, not on cached answers.
      cache: false,
      ...extra,
    });
    undo.push(() => kb.close());
    return { kb, store, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
