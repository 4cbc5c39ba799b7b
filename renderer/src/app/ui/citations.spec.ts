import { citeLinks, citeNumber, firstSentence, markSentence } from './citations';

describe('citeLinks', () => {
  it('links [n] of a known source, leaves the rest alone', () => {
    expect(citeLinks('Roll back within 30 days [1]. See also [2] and [7].', 2)).toBe(
      'Roll back within 30 days [[1]](#cite-1). See also [[2]](#cite-2) and [7].',
    );
    // Links, task boxes, code and reference-style text are not markers.
    expect(citeLinks('[1](http://x) `a[1]` [x] [1]:', 3)).toBe('[1](http://x) `a[1]` [x] [1]:');
    expect(citeLinks('```\narr[1]\n```\ntext [1]', 1)).toBe(
      '```\narr[1]\n```\ntext [[1]](#cite-1)',
    );
    expect(citeLinks('no sources [1]', 0)).toBe('no sources [1]');
  });

  it('reads the number back from the link', () => {
    expect(citeNumber('#cite-3')).toBe(3);
    expect(citeNumber('http://127.0.0.1:4200/#cite-12')).toBe(12);
    expect(citeNumber('https://example.com')).toBeNull();
    expect(citeNumber(null)).toBeNull();
  });
});

describe('markSentence', () => {
  const html = (s: string) => {
    const el = document.createElement('div');
    el.innerHTML = s;
    return el;
  };

  it('marks the sentence across inline elements and white space', () => {
    const el = html(
      '<p>Open the rollout. Rollback is <strong>available for\n 30 days</strong> after it starts. Then stop.</p>',
    );
    const mark = markSentence(el, 'Rollback is available for 30 days after it starts.');
    expect(mark).not.toBeNull();
    const marks = [...el.querySelectorAll('mark.cited')].map((m) => m.textContent).join('');
    expect(marks.replace(/\s+/g, ' ')).toBe('Rollback is available for 30 days after it starts.');
    expect(el.textContent).toBe(
      'Open the rollout. Rollback is available for\n 30 days after it starts. Then stop.',
    );
  });

  it('ignores the ellipses of a cut snippet and case', () => {
    const el = html('<p>First. The DS-8 dock charges four cameras at once.</p>');
    expect(markSentence(el, '…the ds-8 dock charges four cameras…')).not.toBeNull();
    expect(el.querySelector('mark')!.textContent).toBe('The DS-8 dock charges four cameras');
  });

  it('marks nothing when the sentence is not there', () => {
    const el = html('<p>Something else.</p>');
    expect(markSentence(el, 'Not in the passage at all.')).toBeNull();
    expect(el.querySelector('mark')).toBeNull();
  });
});

describe('firstSentence', () => {
  it('is the answering sentence the snippet starts with', () => {
    expect(firstSentence('Rollback is available for 30 days. After that, contact support…')).toBe(
      'Rollback is available for 30 days.',
    );
    expect(firstSentence('…the dock charges four cameras at once')).toBe(
      'the dock charges four cameras at once',
    );
    expect(firstSentence('Version 2.5.4 is current. Older ones…')).toBe(
      'Version 2.5.4 is current.',
    );
  });
});
