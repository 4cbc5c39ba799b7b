/**
 * Embedders: turn texts into vectors for the Chroma leg of retrieval. Each has an `id` and `dimensions`
 * that the vector collection records, so vectors from two embedders are never mixed.
 */
import type OpenAI from 'openai';
import { STOPWORDS, stem, words } from './text.js';

export interface Embedder {
  /** Names the model and its version, e.g. `offline-hash-v2` or `openai:text-embedding-3-small`. */
  id: string;
  dimensions: number;
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * Hashed features collide less in more dimensions: a 1200-character chunk has some hundreds of
 * distinct features, and at 512 dimensions their collisions (with random signs) were the main noise.
 * Measured (bench/retrieval.bench.ts, vector leg alone, recall@5): 512 → 0.76 sample docs / 0.73 manual;
 * 2048 → 0.81 / 0.86; 4096 → 0.85 / 0.87; 8192 no better. Cost: larger vectors to store and send.
 */
export const OFFLINE_DIMENSIONS = 4096;

/** 32-bit FNV-1a: a fast, stable hash for feature hashing. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Features of a text with their counts: stemmed words and the character 3-grams of each word. */
function features(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string, w: number) => counts.set(f, (counts.get(f) ?? 0) + w);
  const content = words(text).filter((w) => !STOPWORDS.has(w));
  for (const w of content) add(`w:${stem(w)}`, 1);
  for (const w of content) {
    const padded = `<${w}>`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`, 1);
  }
  return counts;
}

/** Whole words count most; character 3-grams (several per word) catch spelling variants and compounds. */
/** Measured on the sample documentation: word pairs added noise, light 3-gram weight helped (see bench). */
const KIND_WEIGHT: Record<string, number> = { w: 1, c: 0.1 };

/** One text → an L2-normalized vector (zero vector for a text without content words). */
export function hashEmbedding(text: string, dimensions = OFFLINE_DIMENSIONS): number[] {
  const v = new Float64Array(dimensions);
  for (const [f, tf] of features(text)) {
    const h = fnv1a(f);
    const sign = h & 0x80000000 ? -1 : 1;
    // Sublinear term frequency: the tenth mention of a word adds far less than the first.
    v[h % dimensions]! += sign * KIND_WEIGHT[f[0]!]! * (1 + Math.log(tf));
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => x / norm);
}

/**
 * The built-in embedder: feature hashing (signed) of stemmed words and their character 3-grams,
 * sublinear term frequency, L2-normalized. Deterministic, no model, no network.
 */
export function offlineEmbedder(dimensions = OFFLINE_DIMENSIONS): Embedder {
  return {
    // v2: 4096 dimensions by default (v1 was 512). The id names the features; a change of them is a new id.
    id: `offline-hash-v2`,
    dimensions,
    embed: async (texts) => texts.map((t) => hashEmbedding(t, dimensions)),
  };
}

const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/**
 * Embeddings from an OpenAI-compatible server (the client carries key and base URL). `dimensions` is
 * needed only for models not in the table above; a response of another size is an error, not data.
 */
export function openaiEmbedder(
  client: OpenAI,
  model = 'text-embedding-3-small',
  dimensions?: number,
): Embedder {
  const dims = dimensions ?? KNOWN_DIMENSIONS[model];
  if (!dims) throw new Error(`openaiEmbedder: unknown model ${model}; pass its dimensions`);
  return {
    id: `openai:${model}`,
    dimensions: dims,
    async embed(texts) {
      if (texts.length === 0) return [];
      const res = await client.embeddings.create({ model, input: texts, encoding_format: 'float' });
      const out = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      if (out.length !== texts.length)
        throw new Error(`embedding model ${model} returned ${out.length} vectors for ${texts.length} texts`);
      const bad = out.find((e) => e.length !== dims);
      if (bad)
        throw new Error(`embedding model ${model} returned ${bad.length} dimensions, expected ${dims}`);
      return out;
    },
  };
}
