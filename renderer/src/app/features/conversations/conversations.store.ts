import { Injectable, inject, signal } from '@angular/core';
import type { ConversationSummary } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';

const UNDO_MS = 6000;

/** The person's conversations (newest first), with search inside messages, pin, rename and delete-with-undo. */
@Injectable({ providedIn: 'root' })
export class ConversationsStore {
  private readonly api = inject(ApiService);
  readonly list = signal<ConversationSummary[]>([]);
  readonly query = signal('');
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  /** A deletion that can still be undone. */
  readonly pendingDelete = signal<ConversationSummary | null>(null);
  private deleteTimer: ReturnType<typeof setTimeout> | undefined;
  private loadSeq = 0;

  constructor() {
    if (typeof window !== 'undefined')
      window.addEventListener('pagehide', () => this.flushDelete(true));
  }

  async load(query = this.query()): Promise<void> {
    this.query.set(query);
    const seq = ++this.loadSeq;
    this.loading.set(true);
    try {
      const list = await this.api.conversations(query);
      if (seq !== this.loadSeq) return;
      const hidden = this.pendingDelete()?.id;
      this.list.set(sortNewest(list.filter((c) => c.id !== hidden)));
      this.error.set(null);
    } catch (error) {
      if (seq === this.loadSeq) this.error.set(`Could not load conversations: ${messageOf(error)}`);
    } finally {
      if (seq === this.loadSeq) this.loading.set(false);
    }
  }

  /** Adds or updates one conversation (after create, rename or a new message). */
  upsert(conversation: ConversationSummary): void {
    // While searching, the list is the API's matches: update those, add nothing the search did not find.
    if (this.query().trim() && !this.list().some((c) => c.id === conversation.id)) return;
    this.list.update((list) => {
      const old = list.find((c) => c.id === conversation.id);
      const merged =
        old?.match && !conversation.match ? { ...conversation, match: old.match } : conversation;
      return sortNewest([merged, ...list.filter((c) => c.id !== conversation.id)]);
    });
  }

  async pin(id: string, pinned: boolean): Promise<void> {
    try {
      this.upsert(await this.api.pinConversation(id, pinned));
      this.error.set(null);
    } catch (error) {
      this.error.set(`Could not ${pinned ? 'pin' : 'unpin'} the conversation: ${messageOf(error)}`);
    }
  }

  async rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim();
    if (!trimmed) return;
    try {
      this.upsert(await this.api.renameConversation(id, trimmed));
      this.error.set(null);
    } catch (error) {
      this.error.set(`Could not rename the conversation: ${messageOf(error)}`);
    }
  }

  /** Hides the conversation at once and deletes it for real after a few seconds unless undone. */
  remove(conversation: ConversationSummary): void {
    this.flushDelete();
    this.list.update((list) => list.filter((c) => c.id !== conversation.id));
    this.pendingDelete.set(conversation);
    this.deleteTimer = setTimeout(() => this.flushDelete(), UNDO_MS);
  }

  undoDelete(): void {
    const conversation = this.pendingDelete();
    if (!conversation) return;
    clearTimeout(this.deleteTimer);
    this.pendingDelete.set(null);
    this.list.update((list) => sortNewest([conversation, ...list]));
  }

  flushDelete(unloading = false): void {
    const conversation = this.pendingDelete();
    if (!conversation) return;
    clearTimeout(this.deleteTimer);
    this.pendingDelete.set(null);
    this.api.deleteConversation(conversation.id, unloading).catch((error) => {
      this.error.set(`Could not delete "${conversation.title}": ${messageOf(error)}`);
      this.upsert(conversation);
    });
  }
}

export interface ConversationGroup {
  label: 'Pinned' | 'Today' | 'Yesterday' | 'Last 7 days' | 'Older';
  conversations: ConversationSummary[];
}

/** Pinned first, then by the day of the last message: Today, Yesterday, Last 7 days, Older (empty groups left out). */
export function groupConversations(
  list: ConversationSummary[],
  now = new Date(),
): ConversationGroup[] {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  const groups: ConversationGroup[] = [
    { label: 'Pinned', conversations: [] },
    { label: 'Today', conversations: [] },
    { label: 'Yesterday', conversations: [] },
    { label: 'Last 7 days', conversations: [] },
    { label: 'Older', conversations: [] },
  ];
  for (const c of list) {
    const at = Date.parse(c.updatedAt);
    const index = c.pinned
      ? 0
      : at >= midnight
        ? 1
        : at >= midnight - day
          ? 2
          : at >= midnight - 6 * day
            ? 3
            : 4;
    groups[index]!.conversations.push(c);
  }
  return groups.filter((g) => g.conversations.length);
}

function sortNewest(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}
