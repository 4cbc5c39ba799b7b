import { renderMarkdown } from './markdown';

/** The rendered HTML in a detached element, to read what a browser would make of it. */
function rendered(markdown: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = renderMarkdown(markdown);
  return el;
}

describe('renderMarkdown images', () => {
  it('keeps http(s) images as links to them, never loading them', () => {
    const el = rendered('![diagram](https://docs.example.com/dock.png)');
    expect(el.querySelector('img')).toBeNull();
    const a = el.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://docs.example.com/dock.png');
    expect(a.textContent).toBe('diagram');
  });

  it('shows a data: image inline (nothing to track)', () => {
    const src =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const img = rendered(`![dot](${src})`).querySelector('img')!;
    expect(img.getAttribute('src')).toBe(src);
    expect(img.getAttribute('alt')).toBe('dot');
  });

  it('turns an image of any other scheme into its text, with no link or source', () => {
    for (const href of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'data:text/html,<script>alert(1)</script>',
      '//evil.example/track.png',
      'relative/track.png',
    ]) {
      const el = rendered(`![caption](${href})`);
      expect(el.querySelector('a, img'), href).toBeNull();
      expect(el.textContent, href).toContain('caption');
      expect(el.innerHTML, href).not.toMatch(/javascript:|vbscript:|file:|href=|src=/i);
    }
  });
});
