/**
 * Heading-aware chunking. Markdown is split at its headings (the heading path becomes the chunk's
 * `section`); plain text gets sections from heading-like lines (numbered, ALL CAPS, or short
 * title-case lines followed by body), falling back to paragraph windows. Long sections are cut at
 * paragraph, then line, then sentence boundaries into chunks of at most `maxChars`, each new piece of
 * a section starting with a short overlap from the previous one.
 */

export interface Chunk {
  /** Heading path, e.g. "Firmware updates › Rolling back" ("" before any heading). */
  section: string;
  text: string;
}

export interface ChunkedDocument {
  /** From a `# ` heading, front matter `title:`, or the first line of plain text. */
  title: string | undefined;
  chunks: Chunk[];
}

export interface ChunkOptions {
  maxChars?: number;
  overlapChars?: number;
}

export const SECTION_SEPARATOR = ' › ';
/**
 * Bumped whenever chunking changes what chunks a document gets: stored documents cut by an older
 * version are chunked again (and re-embedded) on the next start.
 */
export const CHUNKER_VERSION = 1;
const DEFAULT_MAX = 1200;
const DEFAULT_OVERLAP = 150;

export type TextKind = 'markdown' | 'text';

export function chunkDocument(content: string, kind: TextKind, opts: ChunkOptions = {}): ChunkedDocument {
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const { title, sections } = kind === 'markdown' ? markdownSections(text) : textSections(text);
  const max = opts.maxChars ?? DEFAULT_MAX;
  const overlap = opts.overlapChars ?? DEFAULT_OVERLAP;
  const chunks: Chunk[] = [];
  for (const s of sections) {
    for (const piece of pack(s.body, max, overlap))
      chunks.push({ section: s.path.join(SECTION_SEPARATOR), text: piece });
  }
  return { title, chunks };
}

interface Section {
  path: string[];
  body: string;
}

/** Collects body lines under a heading stack; `level` 1 is the outermost. */
class SectionBuilder {
  readonly sections: Section[] = [];
  private stack: { level: number; heading: string }[] = [];
  private lines: string[] = [];

  heading(level: number, heading: string): void {
    this.flush();
    while (this.stack.length && this.stack.at(-1)!.level >= level) this.stack.pop();
    this.stack.push({ level, heading });
  }

  line(line: string): void {
    this.lines.push(line);
  }

  /** The level of the innermost heading (0 when none). */
  get depth(): number {
    return this.stack.at(-1)?.level ?? 0;
  }

  finish(): Section[] {
    this.flush();
    return this.sections;
  }

  private flush(): void {
    const body = this.lines.join('\n').trim();
    this.lines = [];
    if (body) this.sections.push({ path: this.stack.map((s) => s.heading), body });
  }
}

function cleanHeading(h: string): string {
  return h
    .replace(/\s+#+\s*$/, '')
    .replace(/[*_`]+/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function markdownSections(text: string): { title: string | undefined; sections: Section[] } {
  let title: string | undefined;
  let body = text;
  const front = /^---\n([\s\S]*?)\n---\n/.exec(body);
  if (front) {
    body = body.slice(front[0].length);
    const t = /^title:\s*["']?(.+?)["']?\s*$/m.exec(front[1]!);
    if (t) title = t[1];
  }
  const b = new SectionBuilder();
  let fence: string | undefined;
  for (const line of body.split('\n')) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = f[1]![0]!.repeat(f[1]!.length);
      else if (line.trim().startsWith(fence)) fence = undefined;
      b.line(line);
      continue;
    }
    const h = fence ? null : /^\s{0,3}(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      const heading = cleanHeading(h[2]!);
      if (!heading) continue;
      if (h[1]!.length === 1 && title === undefined) title = heading;
      b.heading(h[1]!.length, heading);
    } else {
      b.line(line);
    }
  }
  return { title, sections: b.finish() };
}

const SMALL_WORDS = new Set(
  'a an and as at but by for from in into of on or over per the to via vs with without'.split(' '),
);

/** Numbered heading ("2.3 Docking a camera"): its depth, or 0. */
function numberedLevel(line: string): number {
  const m = /^(\d+(?:\.\d+)*)\.?\s+\p{Lu}/u.exec(line);
  if (!m || /[.:;,]$/.test(line) || line.length > 100) return 0;
  return m[1]!.split('.').length;
}

function isAllCaps(line: string): boolean {
  const letters = line.replace(/[^\p{L}]/gu, '');
  // A lone acronym ("APN", "RFID") is a label, not a chapter.
  const long = letters.length >= 6 || line.trim().split(/\s+/).length >= 2;
  return long && letters === letters.toUpperCase() && /^\p{Lu}/u.test(line) && line.length <= 80;
}

/** A short line in title case without closing punctuation: "Creating, Editing, and Deleting Groups". */
function isTitleCase(line: string): boolean {
  if (line.length > 80 || /[.:;,!?)]$/.test(line) || !/^[\p{Lu}\d]/u.test(line) || /\t/.test(line))
    return false;
  const ws = line.split(/\s+/);
  if (ws.length > 12) return false;
  return ws.every(
    (w, i) => i === 0 || SMALL_WORDS.has(w.toLowerCase()) || /^[\p{Lu}\d("'“]/u.test(w) || w.length <= 2,
  );
}

function textSections(text: string): { title: string | undefined; sections: Section[] } {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const first = lines.findIndex((l) => l.trim());
  const title = first >= 0 && lines[first]!.trim().length <= 100 ? lines[first]!.trim() : undefined;
  const b = new SectionBuilder();
  let outer = 0; // depth of the innermost numbered or ALL CAPS heading
  let headings = 0;
  const nextNonEmpty = (i: number) => lines.slice(i + 1).find((l) => l.trim());
  lines.forEach((line, i) => {
    if (i === first && title !== undefined) return;
    const t = line.trim();
    const next = nextNonEmpty(i);
    // Headings start at the margin and are followed by something.
    if (!t || /^\s/.test(line) || next === undefined) return b.line(line);
    const num = numberedLevel(t);
    if (num) {
      outer = num;
      headings++;
      return b.heading(num, t);
    }
    if (isAllCaps(t) && !isAllCaps(next.trim())) {
      outer = 1;
      headings++;
      return b.heading(1, t);
    }
    if (isTitleCase(t)) {
      headings++;
      return b.heading(outer + 1, t);
    }
    b.line(line);
  });
  const sections = b.finish();
  // No heading at all: paragraph windows that name no section.
  return { title, sections: headings ? sections : sections.map((s) => ({ path: [], body: s.body })) };
}

/** Cuts `body` into pieces of at most `max` characters at the coarsest boundary that fits. */
function pack(body: string, max: number, overlap: number): string[] {
  if (body.length <= max) return [body];
  const units = split(body, max);
  const out: string[] = [];
  let cur: string[] = [];
  let len = 0;
  for (const u of units) {
    if (len && len + u.length + 1 > max) {
      out.push(cur.join('\n'));
      // Carry the last unit(s) over while short, so a sentence cut at the boundary is seen in both pieces.
      const carried: string[] = [];
      let carriedLen = 0;
      for (let i = cur.length - 1; i >= 0 && carriedLen + cur[i]!.length <= overlap; i--) {
        carried.unshift(cur[i]!);
        carriedLen += cur[i]!.length + 1;
      }
      cur = carried.length && carriedLen + u.length <= max ? carried : [];
      len = cur.length ? carriedLen : 0;
    }
    cur.push(u);
    len += u.length + 1;
  }
  if (cur.length) out.push(cur.join('\n'));
  return out.map((p) => p.trim()).filter(Boolean);
}

/** Paragraphs, then lines, then sentences, then words: every unit at most `max` characters. */
function split(text: string, max: number): string[] {
  const levels: RegExp[] = [/\n\s*\n/, /\n/, /(?<=[.!?])\s+/, /\s+/];
  const go = (t: string, level: number): string[] => {
    if (t.length <= max) return [t];
    if (level >= levels.length) {
      const out: string[] = [];
      for (let i = 0; i < t.length; i += max) out.push(t.slice(i, i + max));
      return out;
    }
    const parts = t.split(levels[level]!).filter((p) => p.trim());
    if (parts.length <= 1) return go(t, level + 1);
    if (level >= 2) {
      // Sentences and words are re-joined greedily so pieces are not needlessly small.
      const out: string[] = [];
      let cur = '';
      for (const p of parts.flatMap((p) => go(p, level + 1))) {
        if (cur && cur.length + 1 + p.length > max) {
          out.push(cur);
          cur = p;
        } else cur = cur ? `${cur} ${p}` : p;
      }
      if (cur) out.push(cur);
      return out;
    }
    return parts.flatMap((p) => go(p, level + 1));
  };
  return go(text.trim(), 0);
}
