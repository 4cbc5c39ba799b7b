import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injectable,
  Injector,
  SecurityContext,
  afterNextRender,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { DomSanitizer } from '@angular/platform-browser';
import type { Citation, DocumentContent, Passage } from '@msi/contracts/api';
import { ApiService } from '../core/api.service';
import { messageOf } from '../core/config';
import { MarkdownService } from '../core/markdown.service';
import { firstSentence, markSentence } from './citations';
import { Icon } from './icon';
import { sectionLabel } from './section-label';

/** The cited passage shown in the side panel (GET /api/knowledge/chunks/:chunkId). */
@Injectable({ providedIn: 'root' })
export class PassageService {
  private readonly api = inject(ApiService);
  readonly citation = signal<Citation | null>(null);
  readonly passage = signal<Passage | null>(null);
  /** The whole document, once the person chose "Open document". */
  readonly document = signal<DocumentContent | null>(null);
  readonly error = signal<string | null>(null);
  private seq = 0;

  async show(citation: Citation): Promise<void> {
    const seq = ++this.seq;
    this.citation.set(citation);
    this.passage.set(null);
    this.document.set(null);
    this.error.set(null);
    try {
      const passage = await this.api.passage(citation.chunkId);
      if (seq === this.seq) this.passage.set(passage);
    } catch (error) {
      if (seq === this.seq) this.error.set(`Could not open the passage: ${messageOf(error)}`);
    }
  }

  async openDocument(): Promise<void> {
    const citation = this.citation();
    if (!citation) return;
    const seq = this.seq;
    try {
      const doc = await this.api.documentContent(citation.documentId);
      if (seq === this.seq) this.document.set(doc);
    } catch (error) {
      if (seq === this.seq) this.error.set(`Could not open the document: ${messageOf(error)}`);
    }
  }

  /** Back from the whole document to the cited passage. */
  closeDocument(): void {
    this.document.set(null);
  }

  close(): void {
    this.seq++;
    this.citation.set(null);
    this.passage.set(null);
    this.document.set(null);
  }
}

@Component({
  selector: 'msi-passage-panel',
  imports: [Icon],
  template: `
    @if (service.citation(); as citation) {
      <aside
        class="passage-panel"
        aria-labelledby="passage-title"
        data-testid="passage-panel"
        (keydown.escape)="close()"
      >
        <header>
          <div>
            <h2 id="passage-title" tabindex="-1" #heading>
              {{ service.passage()?.title ?? citation.title }}
            </h2>
            @let section =
              sectionLabel(
                service.passage()?.title ?? citation.title,
                service.passage()?.section ?? citation.section
              );
            @if (section) {
              <p class="muted">{{ section }}</p>
            }
          </div>
          <button type="button" class="icon-button" aria-label="Close passage" (click)="close()">
            <msi-icon name="close" />
          </button>
        </header>
        @if (service.error(); as error) {
          <p role="alert" class="error-text">{{ error }}</p>
        } @else if (service.passage(); as passage) {
          <div class="passage-actions">
            @if (service.document()) {
              <button type="button" class="ghost small" (click)="service.closeDocument()">
                Back to the passage
              </button>
            } @else {
              <button
                type="button"
                class="ghost small"
                data-testid="open-document"
                (click)="service.openDocument()"
              >
                <msi-icon name="doc" /> Open document
              </button>
            }
          </div>
          @if (markdown.render()) {
            <div class="passage-text markdown" #body data-testid="passage-text"></div>
          } @else {
            <div class="passage-text plain" data-testid="passage-text">
              {{ service.document()?.content ?? passage.text }}
            </div>
          }
        } @else {
          <p class="muted" role="status">Loading the passage…</p>
        }
      </aside>
    }
  `,
  styleUrl: './passage-panel.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PassagePanel {
  protected readonly service = inject(PassageService);
  protected readonly markdown = inject(MarkdownService);
  private readonly sanitizer = inject(DomSanitizer);
  private readonly injector = inject(Injector);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  private readonly body = viewChild<ElementRef<HTMLElement>>('body');
  private opener: HTMLElement | null = null;

  constructor() {
    // The passage (or the whole document) as Markdown, the cited sentence marked and scrolled to.
    effect(() => {
      const body = this.body()?.nativeElement;
      const render = this.markdown.render();
      const passage = this.service.passage();
      const doc = this.service.document();
      const citation = this.service.citation();
      if (!body || !render || !passage || !citation) return;
      const source = doc?.content ?? passage.text;
      body.innerHTML = this.sanitizer.sanitize(SecurityContext.HTML, render(source)) ?? '';
      const mark = markSentence(body, firstSentence(citation.snippet));
      if (mark && doc)
        afterNextRender(() => mark.scrollIntoView?.({ block: 'center' }), {
          injector: this.injector,
        });
    });
    effect(() => {
      const heading = this.heading();
      if (this.service.citation() && heading) {
        if (!this.opener) this.opener = document.activeElement as HTMLElement | null;
        heading.nativeElement.focus();
      }
    });
  }

  protected readonly sectionLabel = sectionLabel;

  protected close(): void {
    this.service.close();
    this.opener?.focus();
    this.opener = null;
  }
}
