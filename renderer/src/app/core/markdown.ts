import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked } from 'marked';

for (const [name, language] of Object.entries({
  bash,
  javascript,
  json,
  python,
  sql,
  typescript,
  xml,
  yaml,
})) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(['sh', 'shell', 'console'], { languageName: 'bash' });
hljs.registerAliases(['js'], { languageName: 'javascript' });
hljs.registerAliases(['ts'], { languageName: 'typescript' });
hljs.registerAliases(['html'], { languageName: 'xml' });

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A base64 raster image (no SVG: it is a document that can carry scripts and links). */
const DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp|avif);base64,[A-Za-z0-9+/=]+$/i;

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // Raw HTML in a message is shown as text, never interpreted.
    html: ({ text }) => escapeHtml(text),
    code: ({ text, lang }) => {
      const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const known = language && hljs.getLanguage(language);
      const body = known
        ? hljs.highlight(text, { language, ignoreIllegals: true }).value
        : escapeHtml(text);
      const label = known ? `<span class="code-lang">${escapeHtml(language)}</span>` : '';
      return `<pre class="code">${label}<code class="hljs">${body}</code></pre>`;
    },
    link({ href, title, tokens }) {
      const text = this.parser.parseInline(tokens);
      // An answer's [n] marker (ui/citations.ts): stays on the page, opens its source.
      if (/^#cite-\d{1,2}$/.test(href))
        return `<a href="${href}" class="cite-ref" aria-label="Source ${href.slice(6)}">${text}</a>`;
      const safe = /^(https?:|mailto:)/i.test(href) ? escapeHtml(href) : '#';
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${safe}"${titleAttr} target="_blank" rel="noopener noreferrer">${text}</a>`;
    },
    // Images from an answer are not loaded from the network (they could track the reader): an http(s)
    // image becomes a link, a data: image is shown, and any other scheme is only its text.
    image: ({ href, text }) => {
      if (DATA_IMAGE.test(href)) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`;
      if (/^https?:\/\//i.test(href))
        return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text || href)}</a>`;
      return escapeHtml(text);
    },
  },
});

/** Markdown → HTML with highlighted code. Angular's [innerHTML] sanitizer then removes anything unsafe. */
export function renderMarkdown(text: string): string {
  return marked.parse(text, { async: false });
}
