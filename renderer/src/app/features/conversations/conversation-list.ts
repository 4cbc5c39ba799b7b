import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import type { ConversationSummary } from '@msi/contracts/api';
import { Icon } from '../../ui/icon';
import { ConversationsStore } from './conversations.store';

/** The sidebar: New chat, search by title, the list (newest first) with rename and delete (undo). */
@Component({
  selector: 'msi-conversation-list',
  imports: [Icon, RouterLink],
  template: `
    <nav class="conversations" aria-label="Conversations">
      <button type="button" class="primary new-chat" (click)="newChat.emit()">
        <msi-icon name="plus" /> New chat
      </button>
      <input
        type="search"
        class="search"
        aria-label="Search conversations"
        placeholder="Search by title"
        [value]="store.query()"
        (input)="search($any($event.target).value)"
      />
      @if (store.error(); as error) {
        <p role="alert" class="error-text small">{{ error }}</p>
      }
      <ul class="conversation-list" aria-label="Conversation list">
        @for (c of store.list(); track c.id) {
          <li [class.active]="c.id === activeId()">
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
                [routerLink]="['/c', c.id]"
                [attr.aria-current]="c.id === activeId() ? 'page' : null"
              >
                <span class="title" [attr.title]="c.title || null">{{
                  c.title || 'Untitled'
                }}</span>
                <span class="when">{{ when(c.updatedAt) }}</span>
              </a>
              <span class="row-actions">
                <button
                  type="button"
                  class="icon-button"
                  [attr.aria-label]="'Rename ' + c.title"
                  (click)="startRename(c)"
                >
                  <msi-icon name="pencil" />
                </button>
                <button
                  type="button"
                  class="icon-button"
                  [attr.aria-label]="'Delete ' + c.title"
                  (click)="remove(c)"
                >
                  <msi-icon name="trash" />
                </button>
              </span>
            }
          </li>
        } @empty {
          <li class="empty muted">
            @if (store.loading()) {
              Loading…
            } @else if (store.query()) {
              No conversation matches “{{ store.query() }}”.
            } @else {
              No conversations yet.
            }
          </li>
        }
      </ul>
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
  protected readonly renaming = signal<string | null>(null);
  private readonly renameInput = viewChild<ElementRef<HTMLInputElement>>('renameInput');
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  protected search(value: string): void {
    this.store.query.set(value);
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.store.load(value), 200);
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
