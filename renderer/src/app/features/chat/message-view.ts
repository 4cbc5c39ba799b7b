import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import type { Citation, Message } from '@msi/contracts/api';
import { MarkdownService } from '../../core/markdown.service';
import { SessionService } from '../../core/session.service';
import { Icon } from '../../ui/icon';
import { sectionLabel } from '../../ui/section-label';
import { ToolCard } from './tool-card';
import { AnswerTables } from '../workspace/answer-tables';
import { entityOf, knownEntities, linkEntities } from '../workspace/entities';
import { EntityPanelService } from '../workspace/entity-panel.service';

/** One message: Markdown text, tool cards, citations, and Copy / Retry for answers. */
@Component({
  selector: 'msi-message',
  imports: [AnswerTables, Icon, ToolCard],
  template: `
    @let m = message();
    <article
      class="message"
      [class.user]="m.role === 'user'"
      [attr.aria-label]="m.role === 'user' ? 'Your message' : 'Answer'"
      data-testid="message"
      [attr.data-role]="m.role"
      [attr.data-status]="streaming() ? 'streaming' : m.status"
    >
      @if (m.role === 'assistant') {
        <div class="who">
          Assistant
          @if (m.provider === 'offline' && !session.offline()) {
            <!-- The header says "Basic mode" while it lasts; an older basic answer says so here. -->
            <span
              class="badge basic"
              data-testid="basic-answer"
              title="Answered in basic mode: without an AI model, from tools and templates"
              >Basic mode</span
            >
          }
        </div>
      }
      @for (call of m.toolCalls; track call.callId) {
        <msi-tool-card [call]="call" [ended]="!streaming()" />
      }
      @if (m.role === 'user') {
        <div class="user-text">{{ m.content }}</div>
      } @else if (m.content) {
        @if (html(); as html) {
          <div
            class="markdown"
            [innerHTML]="html"
            [msiAnswerTables]="html"
            (click)="openEntity($event)"
          ></div>
        } @else {
          <div class="markdown plain">{{ m.content }}</div>
        }
      } @else if (streaming()) {
        <p class="thinking" role="status">
          <span class="spinner" aria-hidden="true"></span>
          {{ waitingText() }}
        </p>
      }
      @if (m.status === 'error' && !streaming()) {
        <p class="message-error" role="alert">
          {{ m.error?.message || 'The assistant could not answer.' }}
        </p>
      }
      @if (m.status === 'cancelled') {
        <p class="muted">Stopped.</p>
      }
      @if (m.citations.length) {
        <section class="citations" aria-label="Sources">
          <h3>Sources</h3>
          <ol>
            @for (c of m.citations; track c.chunkId; let i = $index) {
              <li>
                <button
                  type="button"
                  class="citation"
                  data-testid="citation"
                  (click)="cite.emit(c)"
                >
                  <span class="cite-num" aria-hidden="true">{{ i + 1 }}</span>
                  <span class="cite-text">
                    <span class="citation-title">{{ c.title }}</span>
                    @if (sectionOf(c); as section) {
                      <span class="muted"> — {{ section }}</span>
                    }
                  </span>
                </button>
              </li>
            }
          </ol>
        </section>
      }
      @if (m.role === 'assistant' && !streaming()) {
        <div class="message-actions">
          @if (m.content) {
            <button type="button" class="ghost small" (click)="copy()" aria-label="Copy answer">
              <msi-icon name="copy" /> {{ copied() ?? 'Copy' }}
            </button>
          }
          @if (canRetry()) {
            <button type="button" class="ghost small" (click)="retry.emit()" aria-label="Retry">
              <msi-icon name="retry" /> Retry
            </button>
          }
        </div>
      }
    </article>
  `,
  styleUrl: './message-view.css',
  host: { '[class.from-user]': "message().role === 'user'" },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MessageView {
  readonly message = input.required<Message>();
  /** This answer is being streamed now. */
  readonly streaming = input(false);
  /** Waiting for the person to approve a change. */
  readonly awaitingApproval = input(false);
  /** The last answer of the conversation (Retry is offered there). */
  readonly last = input(false);
  readonly cite = output<Citation>();
  readonly retry = output<void>();

  private readonly markdown = inject(MarkdownService).render;
  protected readonly session = inject(SessionService);
  private readonly entities = inject(EntityPanelService);
  /** Organizations and people this answer's tools returned: its text links them to their card. */
  private readonly known = computed(() => knownEntities(this.message().toolCalls));
  protected readonly html = computed(() => {
    const html = this.markdown()?.(this.message().content);
    return html === undefined ? null : linkEntities(html, this.known());
  });
  protected readonly copied = signal<string | null>(null);
  protected readonly canRetry = computed(
    () =>
      this.last() && (this.message().status === 'error' || this.message().status === 'cancelled'),
  );
  protected readonly waitingText = computed(() => {
    if (this.awaitingApproval()) return 'Waiting for your approval…';
    return this.message().toolCalls.length ? 'Working with the tools…' : 'Thinking…';
  });

  /** A ticket number, organization or person in the answer opens its panel. */
  protected openEntity(event: MouseEvent): void {
    const link = (event.target as Element | null)?.closest?.('a.entity');
    const ref = entityOf(link?.getAttribute('href'));
    if (!ref) return;
    event.preventDefault();
    this.entities.open(ref);
  }

  protected sectionOf(c: Citation): string {
    return sectionLabel(c.title, c.section);
  }

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.message().content);
      this.copied.set('Copied');
    } catch {
      this.copied.set('Copy failed: the clipboard is not available');
    }
    setTimeout(() => this.copied.set(null), 2000);
  }
}
