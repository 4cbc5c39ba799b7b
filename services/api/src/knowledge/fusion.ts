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

/** A passage's Markdown as plain sentences: markup dropped, one entry per sentence (list items and lines apart). */
export function sentences(markdown: string): { text: string; heading: boolean }[] {
  const out: { text: string; heading: boolean }[] = [];
  // Lines of one paragraph are one text (plain text wraps its lines); a heading, list item, table row or
  // quote starts a new one.
  const lines: string[] = [];
  for (const line of markdown.replace(/```[\s\S]*?```/g, ' ').split('\n')) {
    const starts = /^\s{0,3}(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\|)/.test(line);
    if (!line.trim()) lines.push('');
    else if (!starts && lines.length && lines.at(-1) && !/^\s{0,3}#{1,6}\s/.test(lines.at(-1)!))
      lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  for (const raw of lines) {
    const heading = /^\s{0,3}#{1,6}\s/.test(raw);
    const line = plainInline(
      raw.replace(/^\s{0,3}(#{1,6}|[-*+]|\d+[.)]|>)\s+/, '').replace(/^\|(.*)\|$/, '$1'),
    );
    if (!line || /^[-:| ]+$/.test(line)) continue;
    for (const part of line.split(/(?<=[.!?])\s+(?=["“(]?[\p{Lu}\d])/u))
      if (part) out.push({ text: part, heading });
  }
  return out;
}

/** Inline Markdown as the words a reader sees: links by their text, emphasis and code marks dropped. */
export function plainInline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|\*|_|`)(?=\S)([^*_`]*?\S)\1/g, '$2')
    .replace(/\s*\|\s*/g, ' · ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The snippet of `text` that answers: it starts at the sentence (not a heading) with the most distinct
 * query words by stem, then the most hits (the first sentence when none has any), and goes on with the
 * text after it up to `size` characters. A sentence longer than `size` is cut
 * around its densest run of query words, with an ellipsis where text was left out. A question that asks
 * for an amount or a time ("how long", "how many", "when", "which version") prefers a sentence with a number.
 */
export function snippet(text: string, terms: string[], size = 240, question = ''): string {
  const all = sentences(text);
  const body = all.filter((s) => !s.heading);
  const candidates = body.length ? body : all;
  if (!candidates.length) return window(text.replace(/\s+/g, ' ').trim(), terms, size);
  const wanted = new Set(terms.map(stem));
  const wantsNumber =
    /\b(how (long|many|much|often|soon|fast)|when|what (version|time|size|limit)|which version|until)\b/i.test(
      question,
    );
  let best = candidates[0]!;
  let bestScore = 0;
  for (const s of candidates) {
    const hits = wordSpans(s.text).filter((w) => wanted.has(stem(w.word)));
    const number = wantsNumber && hits.length > 0 && /\d/.test(s.text) ? 50 : 0;
    const score = new Set(hits.map((h) => stem(h.word))).size * 100 + number + hits.length;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  // A sentence longer than the snippet: the part of it around the query words.
  if (best.text.length > size) return window(best.text, terms, size);
  // Else the answering sentence leads and the text after it fills the snippet up to `size` (an answer
  // often runs on into the next sentence). The renderer marks that first sentence in the passage.
  const at = candidates.indexOf(best);
  const tail = (from: number) =>
    candidates
      .slice(from)
      .map((c) => c.text)
      .join(' ');
  const flat = tail(at);
  if (flat.length <= size) return flat;
  const space = flat.lastIndexOf(' ', size);
  return `${flat.slice(0, space > size / 2 ? space : size)}…`;
}

/** A ~`size`-character excerpt of one line around its densest run of query words, cut at word boundaries. */
function window(flat: string, terms: string[], size: number): string {
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

/** The words of a passage, for telling repeated passages apart (the user guide repeats the admin guide's). */
export function passageKey(text: string): string {
  return sentences(text)
    .filter((s) => !s.heading)
    .map((s) =>
      s.text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim(),
    )
    .join(' ');
}
