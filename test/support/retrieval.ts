/**
 * Retrieval quality over a labelled question set, shared by the recall test and the retrieval benchmark.
 * Sample docs: a hit is a top-k result from the labelled document whose section ends with the labelled
 * section, or whose text contains `answerContains`. Corpus: a hit is a top-k result whose text contains
 * `answerContains` (whitespace-normalized, case-insensitive).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnowledgeBase, SearchOptions } from '../../services/api/src/knowledge/index.js';
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
    const hit = results.some((c) => {
      if (norm(kb.passage(c.chunkId)?.text ?? '').includes(norm(q.answerContains))) return true;
      return 'section' in q && kb.get(c.documentId)?.filename === q.document && c.section.endsWith(q.section);
    });
    if (!hit) misses.push(q.question);
    const withAnswer = results.find((c) =>
      norm(kb.passage(c.chunkId)?.text ?? '').includes(norm(q.answerContains)),
    );
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
