import { Injectable, signal } from '@angular/core';

/**
 * Markdown + highlighting (marked, highlight.js) loaded as a separate chunk right after start, to keep the
 * initial bundle small. Until it has loaded, messages show as plain text.
 */
@Injectable({ providedIn: 'root' })
export class MarkdownService {
  readonly render = signal<((text: string) => string) | null>(null);
  readonly loadError = signal<string | null>(null);

  constructor() {
    import('./markdown').then(
      (module) => this.render.set(module.renderMarkdown),
      (error: unknown) => this.loadError.set(`Formatting is unavailable: ${String(error)}`),
    );
  }
}
