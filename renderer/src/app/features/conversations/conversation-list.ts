import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import type { ConversationSummary } from '@msi/contracts/api';
import { Icon } from '../../ui/icon';
import { ConversationsStore, groupConversations } from './conversations.store';

/**
 * The sidebar: New chat, search inside messages (Ctrl/⌘+K), the list grouped Pinned / Today / Yesterday /
 * Last 7 days / Older with pin, rename and delete (undo). Each row is one tab stop: ←/→ reach its
 * actions, ↑/↓ the rows next to it (a roving tabindex), F2 renames.
 */
@Component({
  selector: 'msi-conversation-list',
  imports: [Icon, RouterLink],
  template: `
    <nav class="conversations" aria-label="Conversations">
      <button
        type="button"
        class="primary new-chat"
        (click)="newChat.emit()"
        aria-keyshortcuts="Control+Shift+O"
      >
        <msi-icon name="plus" /> New chat
      </button>
      <input
        #searchBox
        type="search"
        class="search"
        aria-label="Search conversations"
        aria-keyshortcuts="Control+K"
        placeholder="Search (Ctrl+K)"
        [value]="store.query()"
        (input)="search($any($event.target).value)"
        (keydown.escape)="clearSearch($event)"
      />
      @if (store.error(); as error) {
        <p role="alert" class="error-text small">{{ error }}</p>
      }
      <div class="conversation-groups" (keydown)="onKeydown($event)">
        @for (g of groups(); track g.label) {
          <h3 class="group-label" [id]="groupId(g.label)">{{ g.label }}</h3>
          <ul class="conversation-list" [attr.aria-labelledby]="groupId(g.label)">
            @for (c of g.conversations; track c.id) {
              <li
                [class.active]="c.id === activeId()"
                data-testid="conversation-row"
                [attr.data-pinned]="c.pinned"
              >
                @if (renaming() === c.id) {
                  <input
                    #renameInput
                    class="rename"
                    aria-label="New title"
                    [value]="c.title"
                    (keydown.enter)="finishRename(c, $any($event.target).value)"
                    (keydown.escape)="renaming.set(null)"
                    (blur)="finishRename(c, $any($event.target).value)"
                  />
                } @else {
                  <a
                    class="row-link"
                    [routerLink]="['/c', c.id]"
                    [attr.aria-current]="c.id === activeId() ? 'page' : null"
                    (click)="opened.emit()"
                  >
                    <span class="title" [attr.title]="c.title || null">{{
                      c.title || 'Untitled'
                    }}</span>
                    @if (c.match) {
                      <span class="match" data-testid="search-match">{{ c.match }}</span>
                    }
                    <span class="when">{{ when(c.updatedAt) }}</span>
                  </a>
                  <span class="row-actions">
                    <button
                      type="button"
                      class="icon-button"
                      tabindex="-1"
                      [class.on]="c.pinned"
                      [attr.aria-pressed]="c.pinned"
                      [attr.aria-label]="(c.pinned ? 'Unpin ' : 'Pin ') + c.title"
                      (click)="store.pin(c.id, !c.pinned)"
                    >
                      <msi-icon name="pin" />
                    </button>
                    <button
                      type="button"
                      class="icon-button"
                      tabindex="-1"
                      [attr.aria-label]="'Rename ' + c.title"
                      (click)="startRename(c)"
                    >
                      <msi-icon name="pencil" />
                    </button>
                    <button
                      type="button"
                      class="icon-button"
                      tabindex="-1"
                      [attr.aria-label]="'Delete ' + c.title"
                      (click)="remove(c)"
                    >
                      <msi-icon name="trash" />
                    </button>
                  </span>
                }
              </li>
            }
          </ul>
        } @empty {
          <p class="empty muted small">
            @if (store.loading()) {
              Loading…
            } @else if (store.query()) {
              No conversation mentions “{{ store.query() }}”.
            } @else {
              No conversations yet.
            }
          </p>
        }
      </div>
      @if (store.pendingDelete(); as deleted) {
        <div class="undo" role="status">
          <span>Deleted “{{ deleted.title }}”.</span>
          <button type="button" class="ghost small" (click)="store.undoDelete()">Undo</button>
        </div>
      }
    </nav>
  `,
  styleUrl: './conversation-list.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConversationList {
  protected readonly store = inject(ConversationsStore);
  readonly activeId = input<string | null>(null);
  readonly newChat = output<void>();
  readonly deleted = output<string>();
  /** A conversation was chosen (a narrow window folds the list away again). */
  readonly opened = output<void>();
  protected readonly renaming = signal<string | null>(null);
  protected readonly groups = computed(() => groupConversations(this.store.list()));
  private readonly renameInput = viewChild<ElementRef<HTMLInputElement>>('renameInput');
  private readonly searchBox = viewChild.required<ElementRef<HTMLInputElement>>('searchBox');
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  /** Ctrl/⌘+K: the search box, its text selected. */
  focusSearch(): void {
    const box = this.searchBox().nativeElement;
    const focus = () => {
      box.focus();
      box.select();
    };
    focus();
    // Folded away in a narrow window until the list is shown: once it is.
    if (document.activeElement !== box) setTimeout(focus);
  }

  protected groupId(label: string): string {
    return `conversations-${label.toLowerCase().replace(/\W+/g, '-')}`;
  }

  protected search(value: string): void {
    this.store.query.set(value);
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.store.load(value), 200);
  }

  protected clearSearch(event: Event): void {
    if (!this.store.query()) return;
    event.stopPropagation();
    (event.target as HTMLInputElement).value = '';
    this.search('');
  }

  /** The roving focus: ←/→ within a row (link, pin, rename, delete), ↑/↓/Home/End between rows, F2 rename. */
  protected onKeydown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const row = target.closest('li');
    if (!row || target.classList.contains('rename')) return;
    const rows = [...(event.currentTarget as HTMLElement).querySelectorAll('li')];
    const items = [...row.querySelectorAll<HTMLElement>('a.row-link, .row-actions button')];
    const at = items.indexOf(target);
    const focusRow = (i: number) =>
      rows[Math.max(0, Math.min(rows.length - 1, i))]
        ?.querySelector<HTMLElement>('a.row-link')
        ?.focus();
    switch (event.key) {
      case 'ArrowRight':
        items[Math.min(items.length - 1, at + 1)]?.focus();
        break;
      case 'ArrowLeft':
        items[Math.max(0, at - 1)]?.focus();
        break;
      case 'ArrowDown':
        focusRow(rows.indexOf(row) + 1);
        break;
      case 'ArrowUp':
        focusRow(rows.indexOf(row) - 1);
        break;
      case 'Home':
        focusRow(0);
        break;
      case 'End':
        focusRow(rows.length - 1);
        break;
      case 'F2': {
        const c = this.store.list().find((x) => row.querySelector(`a[href$="/c/${x.id}"]`));
        if (c) this.startRename(c);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  }

  protected startRename(c: ConversationSummary): void {
    this.renaming.set(c.id);
    setTimeout(() => this.renameInput()?.nativeElement.select());
  }

  protected finishRename(c: ConversationSummary, title: string): void {
    if (this.renaming() !== c.id) return;
    this.renaming.set(null);
    if (title.trim() && title.trim() !== c.title) void this.store.rename(c.id, title);
  }

  protected remove(c: ConversationSummary): void {
    this.store.remove(c);
    this.deleted.emit(c.id);
  }

  protected when(iso: string): string {
    const date = new Date(iso);
    const today = new Date();
    if (date.toDateString() === today.toDateString())
      return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  }
}
