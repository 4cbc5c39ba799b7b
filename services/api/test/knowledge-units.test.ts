/** The pure parts of the knowledge base: chunking, the offline embedder, fusion, snippets, upload validation. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkDocument, KnowledgeError, MAX_UPLOAD_BYTES, offlineEmbedder } from '../src/knowledge/index.js';
import { passageKey, reciprocalRankFusion, snippet } from '../src/knowledge/fusion.js';
import { validateUpload } from '../src/knowledge/upload.js';
import { stem } from '../src/knowledge/text.js';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('Markdown chunking', () => {
  const md = [
    '---',
    'title: Front Matter Title',
    '---',
    'Intro before any heading.',
    '',
    '# Firmware updates',
    '',
    'Overview paragraph.',
    '',
    '## Rolling back',
    '',
    'Open the rollout and click **Roll Back**.',
    '',
    '```sh',
    '# not a heading inside a fence',
    'fwctl rollback --all',
    '```',
    '',
    '### Single device',
    '',
    'Use the device page.',
    '',
    '## Holds',
    '',
    'Tag the device `hold-firmware`.',
  ].join('\n');

  it('keeps the heading path as the section and code fences intact', () => {
    const { title, chunks } = chunkDocument(md, 'markdown');
    expect(title).toBe('Front Matter Title');
    expect(chunks.map((c) => c.section)).toEqual([
      '',
      'Firmware updates',
      'Firmware updates › Rolling back',
      'Firmware updates › Rolling back › Single device',
      'Firmware updates › Holds',
    ]);
    expect(chunks[2]!.text).toContain('# not a heading inside a fence');
    expect(chunks[2]!.text).toContain('fwctl rollback --all');
  });

  it('takes the title from the first # heading when there is no front matter', () => {
    expect(chunkDocument('# Docking\n\nText.', 'markdown').title).toBe('Docking');
  });

  it('splits long sections at paragraph boundaries under the cap, with overlap', () => {
    const paras = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i} says something about docking bay ${i}. It is short.`,
    );
    const { chunks } = chunkDocument(`# Long\n\n## Part\n\n${paras.join('\n\n')}`, 'markdown', {
      maxChars: 400,
      overlapChars: 80,
    });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(400);
      expect(c.section).toBe('Long › Part');
    }
    // Every paragraph survives whole somewhere, and consecutive chunks share their boundary paragraph.
    for (const p of paras) expect(chunks.some((c) => c.text.includes(p))).toBe(true);
    const lastOfFirst = chunks[0]!.text.split('\n').at(-1)!;
    expect(chunks[1]!.text.startsWith(lastOfFirst)).toBe(true);
  });

  it('cuts a single huge paragraph at sentence boundaries', () => {
    const para = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const { chunks } = chunkDocument(`# T\n\n${para}`, 'markdown', { maxChars: 300 });
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(c.text).toMatch(/^Sentence number \d+ is here\./);
    }
  });
});

describe('plain text chunking', () => {
  it('finds numbered, ALL CAPS and title-case headings', () => {
    const text = [
      'Dock Station Manual',
      '',
      'GETTING STARTED',
      'This chapter explains the basics of the dock.',
      'Unpacking the Dock',
      'Remove the dock from the box and keep the foam.',
      'Navigate to the Admin tab.',
      '2.1 Network Setup',
      'Connect the dock to a switch port with DHCP.',
      '2.1.1 Static Addresses',
      'Enter the address on the dock page.',
    ].join('\n');
    const { title, chunks } = chunkDocument(text, 'text');
    expect(title).toBe('Dock Station Manual');
    expect(chunks.map((c) => c.section)).toEqual([
      'GETTING STARTED',
      'GETTING STARTED › Unpacking the Dock',
      'GETTING STARTED › 2.1 Network Setup',
      'GETTING STARTED › 2.1 Network Setup › 2.1.1 Static Addresses',
    ]);
    // A sentence-like line is body, not a heading.
    expect(chunks[1]!.text).toContain('Navigate to the Admin tab.');
  });

  it('falls back to paragraph windows when there are no headings', () => {
    const body = Array.from(
      { length: 40 },
      (_, i) => `this line ${i} has no capital letter and goes on for a while.`,
    ).join('\n');
    const { chunks } = chunkDocument(`a lowercase first line that is the title\n${body}`, 'text', {
      maxChars: 500,
    });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.section).toBe('');
      expect(c.text.length).toBeLessThanOrEqual(500);
    }
  });

  it('gives the real manual sections named by its own headings (an excerpt kept in the repository)', () => {
    const manual = readFileSync(
      new URL('./fixtures/corpus/video_manager_admin_guide.excerpt.txt', import.meta.url),
      'utf8',
    );
    const { title, chunks } = chunkDocument(manual, 'text');
    expect(title).toBe('VideoManager Admin Guide');
    const sections = new Set(chunks.map((c) => c.section));
    expect(sections.has('Reassigning Users')).toBe(true);
    expect(sections.has('Configuring Password Complexity')).toBe(true);
    expect(sections.has('Exporting the Database from VideoManager')).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.every((c) => c.text.length <= 1200 && c.text.trim().length > 0)).toBe(true);
  });
});

describe('offline embedder', () => {
  const e = offlineEmbedder();

  it('is deterministic, L2-normalized and of the declared size', async () => {
    const [a, b] = await e.embed([
      'Firmware rollback for the V700 camera',
      'Firmware rollback for the V700 camera',
    ]);
    expect(a).toEqual(b);
    expect(a!.length).toBe(e.dimensions);
    expect(cosine(a!, a!)).toBeCloseTo(1, 6);
  });

  it('ranks related text above unrelated text, and word forms meet', async () => {
    const [q, related, unrelated, forms] = await e.embed([
      'how do I roll back a firmware update',
      'Rolling back firmware updates: open the rollout and click Roll Back',
      'Evidence retention categories keep videos for a number of years',
      'updated firmware rolled back',
    ]);
    expect(cosine(q!, related!)).toBeGreaterThan(cosine(q!, unrelated!) + 0.2);
    expect(cosine(q!, forms!)).toBeGreaterThan(0.4);
  });

  it('gives a zero vector for text without content words, not NaN', async () => {
    const [z] = await e.embed(['the and of']);
    expect(z!.every((x) => x === 0)).toBe(true);
  });

  it('stems common English endings alike', () => {
    expect(new Set(['update', 'updates', 'updated', 'updating'].map(stem)).size).toBe(1);
    expect(new Set(['roll', 'rolling', 'rolled', 'rolls'].map(stem)).size).toBe(1);
    expect(stem('m500')).toBe('m500');
  });
});

describe('fusion and snippets', () => {
  it('reciprocal rank fusion with k = 60 rewards agreement and counts an id once per list', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['b', 'd', 'b'],
    ]);
    expect(fused[0]).toEqual({ id: 'b', score: 1 / 62 + 1 / 61 });
    expect(fused.map((f) => f.id)).toEqual(['b', 'a', 'd', 'c']);
  });

  it('cuts a snippet around the densest query words', () => {
    const text = `${'Filler words about nothing in particular. '.repeat(20)}The rollback is available for 30 days after the rollout starts. ${'More filler follows here. '.repeat(20)}`;
    const s = snippet(text, ['rollback', 'days']);
    // The answering sentence first, then what follows it, up to 240 characters.
    expect(s.startsWith('The rollback is available for 30 days after the rollout starts. More filler')).toBe(
      true,
    );
    expect(s.length).toBeLessThanOrEqual(241);
    expect(s.endsWith('…')).toBe(true);
  });

  it('the snippet is the sentence that answers, as plain text, not the passage opening', () => {
    const text = [
      '## Rolling back',
      '',
      'Firmware updates are staged by the agency administrator. Each rollout has a **pilot group** first.',
      '',
      '- A rollback to the **previous version** is possible for *30 days* after the rollout starts.',
      '- After that, contact support.',
    ].join('\n');
    // It starts at the sentence that answers, as plain text (no heading, no marks).
    expect(snippet(text, ['rollback', 'days'])).toBe(
      'A rollback to the previous version is possible for 30 days after the rollout starts. After that, contact support.',
    );
    // Longer: it starts at the sentence that answers, not at the passage's opening.
    const long = `${text}\n\n${'Filler about dock colours and shipping boxes. '.repeat(8)}`;
    expect(snippet(long, ['rollback', 'days'])).toMatch(
      /^A rollback to the previous version is possible for 30 days after the rollout starts\. After that/,
    );
    // No query word anywhere: from the first sentence of the body, not the heading.
    expect(snippet(long, ['zebra'])).toMatch(/^Firmware updates are staged/);
  });

  it('cuts a long sentence around the densest query words', () => {
    const text = `${'filler words about nothing in particular, '.repeat(20)}the rollback is available for 30 days, ${'more filler follows here, '.repeat(20)}end.`;
    const s = snippet(text, ['rollback', 'days']);
    expect(s.length).toBeLessThanOrEqual(242);
    expect(s).toContain('rollback is available for 30 days');
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
  });

  it('passages that repeat another word for word have one key, whatever their heading', () => {
    const a = '## Users\n\nAn **administrator** adds users in Admin › Users.';
    const b = '### Managing users\n\nAn administrator adds users in Admin > Users.';
    expect(passageKey(a)).toBe(passageKey(b));
    expect(passageKey(a)).not.toBe(passageKey('An administrator removes users.'));
  });
});

describe('upload validation', () => {
  const err = (body: unknown) => {
    try {
      validateUpload(body);
    } catch (e) {
      expect(e).toBeInstanceOf(KnowledgeError);
      return e as KnowledgeError;
    }
    throw new Error('expected a KnowledgeError');
  };

  it('accepts Markdown and text, by name or by media type', () => {
    expect(validateUpload({ filename: 'a.md', content: '# A' }).kind).toBe('markdown');
    expect(
      validateUpload({ filename: 'notes', mediaType: 'text/plain; charset=utf-8', content: 'x' }).kind,
    ).toBe('text');
    expect(validateUpload({ filename: '../../etc/b.txt', content: 'x' }).filename).toBe('b.txt');
  });

  it('says what is wrong', () => {
    expect(err({ content: 'x' }).message).toMatch(/filename is required/);
    expect(err({ filename: 'a.md' }).message).toMatch(/content is required/);
    expect(err('nope').message).toMatch(/JSON object/);
    const pdf = err({ filename: 'a.pdf', content: 'x' });
    expect([pdf.status, pdf.code]).toEqual([415, 'unsupported_media_type']);
    expect(pdf.message).toMatch(/file type of a\.pdf is not supported; upload Markdown/);
    expect(err({ filename: 'a.md', mediaType: 'application/pdf', content: 'x' }).message).toMatch(
      /media type application\/pdf/,
    );
    expect(err({ filename: 'a.md', mediaType: 'text/plain; charset=latin1', content: 'x' }).message).toMatch(
      /charset latin1/,
    );
    expect(err({ filename: 'a.md', content: '  \n ' }).message).toBe('a.md is empty');
    expect(err({ filename: 'a.md', content: 'bad \ud800 surrogate' }).message).toMatch(/not valid UTF-8/);
    expect(err({ filename: 'a.md', content: 'bytes \uFFFD lost' }).message).toMatch(/not valid UTF-8/);
    expect(err({ filename: 'a.txt', content: 'bin\u0000ary' }).message).toMatch(/binary/);
    const big = err({ filename: 'a.txt', content: 'é'.repeat(MAX_UPLOAD_BYTES / 2 + 1) });
    expect([big.status, big.code]).toEqual([413, 'payload_too_large']);
    expect(big.message).toMatch(/limit is 5242880 bytes/);
  });
});
