/**
 * Citations as readers know them: `[n]` in an answer becomes a link to its n-th source (the Markdown
 * renderer lets `#cite-n` through), and the cited sentence is marked in the rendered passage.
 */

/** `[n]` (1 ≤ n ≤ count) outside code → `[[n]](#cite-n)`; anything else (links, `[x]`, code) is left alone. */
export function citeLinks(markdown: string, count: number): string {
  if (count < 1) return markdown;
  // Fenced blocks and inline code keep their text: split them out and change only the rest.
  return markdown
    .split(/(```[\s\S]*?(?:```|$)|`[^`\n]*`)/g)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/(?<![\]\w\\[])\[(\d{1,2})\](?![([:])/g, (whole, digits: string) => {
            const n = Number(digits);
            return n >= 1 && n <= count ? `[[${n}]](#cite-${n})` : whole;
          }),
    )
    .join('');
}

/** The source number of a `#cite-n` link, or null. */
export function citeNumber(href: string | null): number | null {
  const m = /#cite-(\d{1,2})$/.exec(href ?? '');
  return m ? Number(m[1]) : null;
}

const squash = (s: string) => s.replace(/\s+/g, ' ');

/** The snippet's first sentence: the API starts a citation's snippet with the sentence that answers. */
export function firstSentence(snippet: string): string {
  const text = snippet.replace(/^…/, '').trim();
  const end = /[.!?](?=\s+["“(]?[\p{Lu}\d])/u.exec(text);
  return (end ? text.slice(0, end.index + 1) : text).replace(/…$/, '');
}

/**
 * Wraps the first occurrence of `sentence` (compared with runs of white space as one space, any case)
 * in the rendered `root` in `<mark class="cited">` elements, across inline elements (bold, links).
 * Returns the first mark, or null when the sentence is not in the text.
 */
export function markSentence(root: HTMLElement, sentence: string): HTMLElement | null {
  const wanted = squash(sentence.replace(/^…|…$/g, '').trim()).toLowerCase();
  if (wanted.length < 3) return null;
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: { node: Text; start: number; text: string }[] = [];
  let flat = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    // One space for each run of white space, across node boundaries too.
    let text = squash(n.nodeValue ?? '');
    if (flat.endsWith(' ') && text.startsWith(' ')) text = text.slice(1);
    nodes.push({ node: n as Text, start: flat.length, text });
    flat += text;
  }
  const at = flat.toLowerCase().indexOf(wanted);
  if (at < 0) return null;
  const end = at + wanted.length;
  let first: HTMLElement | null = null;
  for (const { node, start, text } of nodes) {
    const from = Math.max(at, start) - start;
    const to = Math.min(end, start + text.length) - start;
    if (to <= from) continue;
    // Offsets are into the squashed text: map them back onto the node's own characters.
    const raw = node.nodeValue ?? '';
    const map = rawOffsets(raw, text);
    const range = root.ownerDocument.createRange();
    range.setStart(node, map[from]!);
    range.setEnd(node, map[to]!);
    const mark = root.ownerDocument.createElement('mark');
    mark.className = 'cited';
    range.surroundContents(mark);
    first ??= mark;
  }
  return first;
}

/** For each offset into the squashed form of `raw` (0…length), the offset into `raw`. */
function rawOffsets(raw: string, squashed: string): number[] {
  const out: number[] = [];
  let r = 0;
  // A leading space dropped at a node boundary: skip the raw white space it stood for.
  if (squashed.length && !/\s/.test(squashed[0]!) && /\s/.test(raw[0] ?? ''))
    while (/\s/.test(raw[r] ?? '')) r++;
  for (let s = 0; s < squashed.length; s++) {
    out.push(r);
    if (/\s/.test(raw[r] ?? '')) while (/\s/.test(raw[r] ?? '')) r++;
    else r++;
  }
  out.push(r);
  return out;
}
