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
import { Home } from '../home/home';
import { EntityPanelService } from '../workspace/entity-panel.service';
import { OrgCard } from '../workspace/org-card';
import { TicketPanel } from '../workspace/ticket-panel';
import { CopilotActions } from '../copilot/copilot-actions';

/** Ctrl/⌘+K search, Ctrl/⌘+Shift+O new chat, `/` the composer (when not typing somewhere). */
export type Shortcut = 'search' | 'new-chat' | 'composer';
export function shortcutOf(e: KeyboardEvent): Shortcut | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && !e.shiftKey && !e.altKey && key === 'k') return 'search';
  if (mod && e.shiftKey && !e.altKey && key === 'o') return 'new-chat';
  if (e.key === '/' && !mod && !e.altKey && !isTyping(e.target)) return 'composer';
  return null;
}
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
}

/** The chat: conversation list, messages streamed as they arrive, composer, approval dialog, passage panel. */
@Component({
  selector: 'msi-chat-page',
  imports: [
    ApprovalDialog,
    ConversationList,
    Home,
    Icon,
    MessageView,
    OrgCard,
    PassagePanel,
    TicketPanel,
    CopilotActions,
  ],
  host: { '(document:keydown)': 'onShortcut($event)' },
  template: `
    <div
      class="chat-layout"
      [class.with-panel]="passages.citation() || entities.panel()"
      [class.sidebar-open]="sidebarOpen()"
      (keydown.escape)="sidebarOpen.set(false)"
    >
      <msi-conversation-list
        id="conversation-sidebar"
        [activeId]="store.conversationId()"
        (newChat)="newChat()"
        (deleted)="onDeleted($event)"
        (opened)="sidebarOpen.set(false)"
      />
      <button
        type="button"
        class="icon-button sidebar-toggle"
        data-testid="sidebar-toggle"
        aria-controls="conversation-sidebar"
        [attr.aria-expanded]="sidebarOpen()"
        [attr.aria-label]="sidebarOpen() ? 'Hide conversations' : 'Show conversations'"
        (click)="sidebarOpen.set(!sidebarOpen())"
      >
        <msi-icon name="sidebar" />
      </button>
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
              <msi-home (ask)="ask($event)" (suggest)="useSuggestion($event)" />
            }
            @for (m of store.messages(); track m.id; let last = $last) {
              <msi-message
                [message]="m"
                [index]="$index"
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
            aria-keyshortcuts="/"
            rows="1"
            placeholder="Message the assistant (press / to come back here)"
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
            <span
              >Enter to send · Shift+Enter for a new line · Ctrl+K search · Ctrl+Shift+O new
              chat</span
            >
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
      <!-- The ticket panel and org card are a chunk of their own, fetched once the page is idle. -->
      @defer (when entities.panel(); prefetch on idle) {
        @switch (entities.panel()?.kind) {
          @case ('ticket') {
            <msi-ticket-panel>
              <msi-copilot-actions
                copilotActions
                [ticket]="entities.ticket()?.ticket?.number"
                (draft)="useDraft($event)"
                (openTicket)="entities.openTicket($event)"
              />
            </msi-ticket-panel>
          }
          @case ('org') {
            <msi-org-card />
          }
          @default {
            <msi-passage-panel />
          }
        }
      } @placeholder {
        <msi-passage-panel />
      } @loading {
        <aside class="panel-loading muted" role="status">Opening…</aside>
      }
    </div>
    <msi-approval-dialog />
  `,
  styleUrl: './chat.page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ChatPage {
  protected readonly store = inject(ChatStore);
  protected readonly passages = inject(PassageService);
  protected readonly entities = inject(EntityPanelService);

  /** Draft reply: the copilot's draft goes into the ticket panel's comment box, to edit and send there. */
  protected useDraft(draft: { body: string; internal: boolean }): void {
    this.entities.commentDraft.set(draft.body);
    this.entities.commentInternal.set(draft.internal);
  }
  private readonly conversations = inject(ConversationsStore);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);
  /** The route's `:id` (absent for a new conversation). */
  readonly id = input<string>();

  /** The conversation list over the chat in a narrow window (below 1000 px it is folded away). */
  protected readonly sidebarOpen = signal(false);
  private readonly list = viewChild.required(ConversationList);
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
    afterNextRender(() => {
      this.inputBox().nativeElement.focus();
      // What the first ticket panel needs (the person's tools), once the page has settled.
      setTimeout(() => this.entities.prefetch(), 1500);
    });
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

  /** A row of the home page: asked at once. */
  protected ask(text: string): void {
    this.draft.set(text);
    this.submit();
  }

  protected onShortcut(event: KeyboardEvent): void {
    const shortcut = shortcutOf(event);
    if (!shortcut) return;
    event.preventDefault();
    if (shortcut === 'search') {
      this.sidebarOpen.set(true);
      this.list().focusSearch();
    } else if (shortcut === 'new-chat') this.newChat();
    else this.inputBox().nativeElement.focus();
  }

  protected useSuggestion(text: string): void {
    this.draft.set(text);
    this.inputBox().nativeElement.focus();
  }

  protected newChat(): void {
    this.sidebarOpen.set(false);
    this.passages.close();
    this.entities.close();
    void this.router.navigateByUrl('/');
    this.inputBox().nativeElement.focus();
  }

  protected onDeleted(id: string): void {
    if (id === this.store.conversationId()) void this.router.navigateByUrl('/');
  }

  protected openCitation(citation: Citation): void {
    this.entities.close();
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
