/** Reciprocal rank fusion and snippet selection: the pure parts of hybrid search. */
import { stem, wordSpans } from './text.js';

export const RRF_K = 60;

/**
 * Reciprocal rank fusion: each ranked list (best first) gives an item 1 / (k + rank), summed over the
 * lists it appears in. Returns ids best first with their fused scores; an id counts once per list.
 */
export function reciprocalRankFusion(lists: string[][], k = RRF_K): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach((id, i) => {
      if (seen.has(id)) return;
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
    });
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/**
 * A ~`size`-character excerpt of `text` around the densest run of query words (by stem), cut at word
 * boundaries, with an ellipsis where text was left out.
 */
export function snippet(text: string, terms: string[], size = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= size) return flat;
  const wanted = new Set(terms.map(stem));
  const spans = wordSpans(flat);
  const hits = spans.filter((s) => wanted.has(stem(s.word)));
  let start = 0;
  if (hits.length) {
    // The window (starting a little before some hit) holding the most hits; distinct words count more.
    let best = -1;
    for (const h of hits) {
      const from = Math.max(0, h.start - 40);
      const inside = hits.filter((x) => x.start >= from && x.end <= from + size);
      const score = inside.length + 2 * new Set(inside.map((x) => stem(x.word))).size;
      if (score > best) {
        best = score;
        start = from;
      }
    }
  }
  start = Math.min(start, flat.length - size);
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    start = space >= 0 && space - start < 30 ? space + 1 : start;
  }
  let end = Math.min(flat.length, start + size);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    end = space > start + size / 2 ? space : end;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}
