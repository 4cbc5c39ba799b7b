/**
 * Word-level text helpers shared by the offline embedder, the FTS query builder and snippet selection:
 * one tokenizer and one light stemmer, so every leg sees the same "words".
 */

/** Function words that carry no topic; dropped from queries and from embedding features. */
export const STOPWORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each either few for from further had has have having he her here hers him his ' +
    'how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over ' +
    'own same she should so some such than that the their theirs them then there these they this those through to too under ' +
    'until up upon us very was we were what when where which while who whom why will with would you your yours ' +
    'want need get got make use using used please tell show know way'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lowercased words with diacritics removed (possessive `'s` dropped). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .matchAll(WORD)) {
    out.push(m[0].replace(/['’]s$/, '').replace(/['’]/g, ''));
  }
  return out;
}

/** Words with their character offsets in `text` (for snippets). Offsets are into the original string. */
export function wordSpans(text: string): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = words(m[0])[0];
    if (w) out.push({ word: w, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

const KEEP_DOUBLE = new Set(['l', 's', 'z']);

/**
 * A light English stemmer: plurals, -ed, -ing, a final -e and doubled final consonants, so that
 * update/updates/updated/updating and roll/rolling/rolled meet. Words with digits are left alone.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  const last = w.at(-1)!;
  if (w.length > 4 && last === w.at(-2) && !/[aeiou]/.test(last) && !KEEP_DOUBLE.has(last))
    w = w.slice(0, -1);
  return w;
}

/** The content words of a query: stopwords dropped, duplicates removed, order kept. */
export function queryTerms(query: string): string[] {
  return [...new Set(words(query).filter((w) => !STOPWORDS.has(w)))];
}

/** Collapses runs of whitespace to one space (for comparing and displaying text). */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
