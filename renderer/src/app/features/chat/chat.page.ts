import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
  Injector,
} from '@angular/core';
import { Router } from '@angular/router';
import type { Citation } from '@msi/contracts/api';
import { Icon } from '../../ui/icon';
import { ConversationList } from '../conversations/conversation-list';
import { ConversationsStore } from '../conversations/conversations.store';
import { ApprovalDialog } from './approval-dialog';
import { ChatStore, MESSAGE_LIMIT } from './chat.store';
import { MessageView } from './message-view';
import { PassagePanel, PassageService } from '../../ui/passage-panel';

const SUGGESTIONS = [
  'Show my open tickets',
  'What is the status of Dallas Police?',
  'How do I assign a body camera to an officer?',
];

/** The chat: conversation list, messages streamed as they arrive, composer, approval dialog, passage panel. */
@Component({
  selector: 'msi-chat-page',
  imports: [ApprovalDialog, ConversationList, Icon, MessageView, PassagePanel],
  template: `
    <div class="chat-layout" [class.with-panel]="passages.citation()">
      <msi-conversation-list
        [activeId]="store.conversationId()"
        (newChat)="newChat()"
        (deleted)="onDeleted($event)"
      />
      <section
        class="chat"
        aria-label="Chat"
        data-testid="chat"
        [attr.data-state]="store.state()"
        [attr.aria-busy]="busy()"
      >
        <div
          class="messages"
          #scroller
          role="log"
          aria-label="Messages"
          aria-live="polite"
          aria-relevant="additions"
        >
          <div class="messages-inner">
            @if (store.loading()) {
              <p class="muted center" role="status">Loading the conversation…</p>
            } @else if (!store.messages().length && store.state() !== 'error') {
              <div class="empty-chat">
                <h1>How can I help?</h1>
                <p class="muted">
                  Ask about tickets, customer organizations and their users, or the product
                  documentation.
                </p>
                <div class="suggestions">
                  @for (s of suggestions; track s) {
                    <button type="button" class="suggestion" (click)="useSuggestion(s)">
                      {{ s }}
                    </button>
                  }
                </div>
              </div>
            }
            @for (m of store.messages(); track m.id; let last = $last) {
              <msi-message
                [message]="m"
                [last]="last"
                [streaming]="last && busy() && m.role === 'assistant'"
                [awaitingApproval]="store.state() === 'awaiting-approval'"
                (cite)="openCitation($event)"
                (retry)="retry()"
              />
            }
          </div>
        </div>
        @if (store.error()) {
          <div class="error-banner" role="alert" data-testid="chat-error">
            <msi-icon name="warn" />
            <span>{{ store.error() }}</span>
          </div>
        }
        <form class="composer" (submit)="submit($event)" [attr.data-over-limit]="overLimit()">
          <textarea
            #input
            aria-label="Message"
            aria-describedby="composer-count"
            rows="1"
            placeholder="Message the assistant"
            [value]="draft()"
            (input)="onInput($any($event.target))"
            (keydown)="onKeydown($event)"
          ></textarea>
          @if (busy()) {
            <button type="button" class="stop" (click)="store.stop()">
              <msi-icon name="stop" /> Stop
            </button>
          } @else {
            <button type="submit" class="primary" [disabled]="!draft().trim() || overLimit()">
              <msi-icon name="send" /> Send
            </button>
          }
        </form>
        <div class="composer-foot muted">
          @if (store.reconnecting()) {
            <span role="status" data-testid="reconnecting">Reconnecting to the answer…</span>
          } @else {
            <span>Enter to send · Shift+Enter for a new line</span>
          }
          <span id="composer-count" class="char-count" aria-live="polite" data-testid="char-count">
            @if (nearLimit()) {
              <span [attr.data-over]="overLimit()"
                >{{ count(draft().length) }} / {{ count(limit) }}
                @if (overLimit()) {
                  · {{ count(draft().length - limit) }} over the limit
                }
              </span>
            }
          </span>
        </div>
      </section>
      <msi-passage-panel />
    </div>
    <msi-approval-dialog />
  `,
  styleUrl: './chat.page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ChatPage {
  protected readonly store = inject(ChatStore);
  protected readonly passages = inject(PassageService);
  private readonly conversations = inject(ConversationsStore);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);
  /** The route's `:id` (absent for a new conversation). */
  readonly id = input<string>();

  protected readonly suggestions = SUGGESTIONS;
  protected readonly draft = signal('');
  protected readonly limit = MESSAGE_LIMIT;
  /** The counter shows from 90% of the limit on. */
  protected readonly nearLimit = computed(() => this.draft().length >= MESSAGE_LIMIT * 0.9);
  protected readonly overLimit = computed(() => this.draft().length > MESSAGE_LIMIT);
  protected readonly busy = computed(() =>
    ['streaming', 'awaiting-approval'].includes(this.store.state()),
  );
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly inputBox = viewChild.required<ElementRef<HTMLTextAreaElement>>('input');
  private measured: number | null = null;

  constructor() {
    void this.conversations.load();
    effect(() => {
      const id = this.id() ?? null;
      untracked(() => void this.store.open(id));
    });
    // Keeps the newest text in view while it streams (unless the person scrolled up to read).
    effect(() => {
      this.store.messages();
      const element = this.scroller().nativeElement;
      const nearBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 160;
      if (nearBottom)
        afterNextRender(() => (element.scrollTop = element.scrollHeight), {
          injector: this.injector,
        });
    });
    // Measures Enter → first streamed character painted (performance entry "msi:first-char").
    effect(() => {
      const sentAt = this.store.sentAt();
      const last = this.store.messages().at(-1);
      if (
        sentAt === null ||
        sentAt === this.measured ||
        last?.role !== 'assistant' ||
        !last.content
      )
        return;
      this.measured = sentAt;
      afterNextRender(
        () =>
          (globalThis.requestAnimationFrame ?? setTimeout)(() => {
            performance.measure('msi:first-char', { start: sentAt, end: performance.now() });
          }),
        { injector: this.injector },
      );
    });
    afterNextRender(() => this.inputBox().nativeElement.focus());
  }

  protected onInput(textarea: HTMLTextAreaElement): void {
    this.draft.set(textarea.value);
    this.autosize(textarea);
  }

  protected onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  protected submit(event?: Event): void {
    event?.preventDefault();
    const text = this.draft();
    if (!text.trim() || this.busy() || this.overLimit()) return;
    this.draft.set('');
    this.autosize(this.inputBox().nativeElement, true);
    this.scrollToEnd();
    void this.store
      .send(text, (id) => this.showConversation(id))
      .then((result) => {
        // Not sent: the text is the person's again (unless they already started another one).
        if (result.outcome !== 'rejected' || this.draft()) return;
        this.draft.set(text);
        const box = this.inputBox().nativeElement;
        box.value = text;
        this.autosize(box);
        box.focus();
      });
  }

  protected count(n: number): string {
    return n.toLocaleString('en-US');
  }

  private scrollToEnd(): void {
    const element = this.scroller().nativeElement;
    afterNextRender(() => (element.scrollTop = element.scrollHeight), { injector: this.injector });
  }

  protected retry(): void {
    this.scrollToEnd();
    void this.store.retry((id) => this.showConversation(id));
  }

  protected useSuggestion(text: string): void {
    this.draft.set(text);
    this.inputBox().nativeElement.focus();
  }

  protected newChat(): void {
    this.passages.close();
    void this.router.navigateByUrl('/');
    this.inputBox().nativeElement.focus();
  }

  protected onDeleted(id: string): void {
    if (id === this.store.conversationId()) void this.router.navigateByUrl('/');
  }

  protected openCitation(citation: Citation): void {
    void this.passages.show(citation);
  }

  private showConversation(id: string): void {
    if (this.id() !== id) void this.router.navigate(['/c', id]);
  }

  private autosize(textarea: HTMLTextAreaElement, reset = false): void {
    textarea.style.height = 'auto';
    if (!reset) textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
  }
}
