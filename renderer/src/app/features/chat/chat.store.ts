import { Injectable, inject, signal } from '@angular/core';
import type { Message, StreamEvents } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import { StreamEvent, readTurn } from '../../core/sse';
import { ConversationsStore } from '../conversations/conversations.store';

/** What the chat is doing: the `data-state` of the chat view. */
export type ChatState = 'idle' | 'streaming' | 'awaiting-approval' | 'error';
export type PendingApproval = StreamEvents['approval.required'];
/** What became of a send: `rejected` means nothing was sent (the draft is still the person's to keep). */
export type SendResult =
  | { outcome: 'sent'; conversationId: string }
  | { outcome: 'rejected'; message: string }
  | { outcome: 'skipped' };

/** The API's default cap on one message (MAX_MESSAGE_CHARS); a longer one is refused with 413. */
export const MESSAGE_LIMIT = 8000;

let localIds = 0;
const localId = (kind: string) => `local-${kind}-${++localIds}`;

/** One conversation's messages and the turn in progress (streamed over SSE, cancellable). */
@Injectable({ providedIn: 'root' })
export class ChatStore {
  private readonly api = inject(ApiService);
  private readonly session = inject(SessionService);
  private readonly conversations = inject(ConversationsStore);

  readonly conversationId = signal<string | null>(null);
  readonly messages = signal<Message[]>([]);
  readonly state = signal<ChatState>('idle');
  /**
   * What went wrong that no answer shows, in words: the conversation could not be opened, or a message
   * was not sent. (An answer that failed while streaming says so itself, with Retry.)
   */
  readonly error = signal<string | null>(null);
  readonly approval = signal<PendingApproval | null>(null);
  readonly approvalError = signal<string | null>(null);
  readonly loading = signal(false);
  /** Performance mark set when a message is sent; the view measures the first painted character from it. */
  readonly sentAt = signal<number | null>(null);

  private controller: AbortController | null = null;
  private lastContent = '';
  private openSeq = 0;

  get busy(): boolean {
    return this.state() === 'streaming' || this.state() === 'awaiting-approval';
  }

  /** Shows a conversation (null: a new, empty one). */
  async open(id: string | null): Promise<void> {
    if (id === this.conversationId() && (id === null || this.messages().length || this.busy))
      return;
    this.stop();
    const seq = ++this.openSeq;
    this.conversationId.set(id);
    this.messages.set([]);
    this.error.set(null);
    this.state.set('idle');
    if (!id) return;
    this.loading.set(true);
    try {
      const detail = await this.api.conversation(id);
      if (seq !== this.openSeq) return;
      this.messages.set(detail.messages);
      const lastAnswer = [...detail.messages].reverse().find((m) => m.role === 'assistant');
      if (lastAnswer?.provider) this.session.lastProvider.set(lastAnswer.provider);
    } catch (error) {
      if (seq !== this.openSeq) return;
      this.fail(`Could not open this conversation: ${messageOf(error)}`);
    } finally {
      if (seq === this.openSeq) this.loading.set(false);
    }
  }

  /**
   * Sends a message (creating the conversation first when needed). When the API refuses it before an
   * answer starts (too long, the conversation is gone, too many requests, unreachable) nothing is kept
   * of it here: the result says so, so that the composer can give the text back.
   */
  async send(text: string, onCreated?: (id: string) => void): Promise<SendResult> {
    const content = text.trim();
    if (!content || this.busy) return { outcome: 'skipped' };
    if (content.length > MESSAGE_LIMIT)
      return this.reject(
        `Not sent: the message is ${content.length.toLocaleString('en-US')} characters; the limit is ${MESSAGE_LIMIT.toLocaleString('en-US')}.`,
      );
    this.lastContent = content;
    this.sentAt.set(performance.now());
    this.state.set('streaming');
    this.error.set(null);
    let id = this.conversationId();
    if (!id) {
      try {
        const created = await this.api.createConversation(titleFrom(content));
        id = created.id;
        this.openSeq++;
        this.conversationId.set(id);
        this.conversations.upsert(created);
        onCreated?.(id);
      } catch (error) {
        return this.reject(`Could not start a conversation: ${messageOf(error)}`);
      }
    }
    const rejected = await this.run(id, content);
    return rejected
      ? this.reject(`Not sent: ${rejected}`)
      : { outcome: 'sent', conversationId: id };
  }

  /** Sends the last message again (after an error or a stop). */
  retry(onCreated?: (id: string) => void): Promise<SendResult> {
    const lastQuestion = [...this.messages()].reverse().find((m) => m.role === 'user')?.content;
    return this.send(this.lastContent || lastQuestion || '', onCreated);
  }

  /** Cancels the turn: aborting the request makes the API cancel the model call and pending tools. */
  stop(): void {
    this.controller?.abort();
  }

  /**
   * Sends the decision. `args`: the form's arguments when the person changed them (what then runs);
   * `remember`: allow this kind of change for the rest of the conversation. When the API refuses the edit
   * the approval stays open with the reason (`approvalError`).
   */
  async decide(
    decision: 'approve' | 'deny',
    extra: { args?: Record<string, unknown>; remember?: boolean } = {},
  ): Promise<boolean> {
    const approval = this.approval();
    if (!approval) return false;
    this.approvalError.set(null);
    try {
      await this.api.decide(approval.approvalId, decision, decision === 'approve' ? extra : {});
    } catch (error) {
      this.approvalError.set(`Your decision was not sent: ${messageOf(error)}`);
      return false;
    }
    this.approval.set(null);
    if (this.state() === 'awaiting-approval') this.state.set('streaming');
    this.patchCalls((call) =>
      call.approval?.approvalId === approval.approvalId
        ? {
            ...call,
            ...(decision === 'approve' && extra.args ? { args: extra.args } : {}),
            approval: {
              ...call.approval,
              decision: decision === 'approve' ? 'approved' : 'denied',
              ...(decision === 'approve' && extra.args ? { proposed: call.args } : {}),
            },
          }
        : call,
    );
    return true;
  }

  /** Runs one turn; returns why the API refused the message when it did so before answering. */
  private async run(conversationId: string, content: string): Promise<string | null> {
    const controller = new AbortController();
    this.controller = controller;
    const now = new Date().toISOString();
    const answerId = localId('answer');
    this.messages.update((list) => [
      ...list,
      {
        id: localId('question'),
        role: 'user',
        content,
        createdAt: now,
        status: 'complete',
        toolCalls: [],
        citations: [],
      },
      {
        id: answerId,
        role: 'assistant',
        content: '',
        createdAt: now,
        status: 'complete',
        toolCalls: [],
        citations: [],
      },
    ]);
    const questionId = this.messages().at(-2)!.id;
    let currentId = answerId;
    let finished = false;
    let body: ReadableStream<Uint8Array>;
    try {
      body = await this.api.sendMessage(conversationId, content, controller.signal);
    } catch (error) {
      if (this.controller === controller) this.controller = null;
      // Refused before any answer: the question was not stored, so it leaves the conversation.
      this.messages.update((list) => list.filter((m) => m.id !== questionId && m.id !== answerId));
      if (!controller.signal.aborted) return messageOf(error);
      this.state.set('idle');
      return null;
    }
    try {
      for await (const event of readTurn(body)) {
        currentId = this.apply(currentId, event);
        if (event.type === 'done' || event.type === 'error') {
          finished = true;
          break;
        }
      }
      if (!finished)
        throw new Error(
          'The answer stopped before it was finished: the connection to the API closed.',
        );
    } catch (error) {
      if (controller.signal.aborted) {
        this.patch(currentId, (m) => ({ ...m, status: 'cancelled' }));
        this.state.set('idle');
      } else {
        const message = messageOf(error);
        this.patch(currentId, (m) => ({
          ...m,
          status: 'error',
          error: { error: 'stream_error', message },
        }));
        this.state.set('error');
      }
    } finally {
      if (this.controller === controller) this.controller = null;
      this.approval.set(null);
      this.approvalError.set(null);
      this.refreshAfterTurn(conversationId, currentId);
    }
    return null;
  }

  /** Applies one stream event to the answer; returns the answer's (possibly new) id. */
  private apply(id: string, event: StreamEvent): string {
    switch (event.type) {
      case 'message.delta':
        this.patch(id, (m) => ({ ...m, content: m.content + event.data.text }));
        break;
      case 'tool.started': {
        const { callId, server, tool, args } = event.data;
        const call = {
          callId,
          server: server as Message['toolCalls'][number]['server'],
          tool,
          args,
        };
        this.patch(id, (m) => ({ ...m, toolCalls: [...m.toolCalls, call] }));
        break;
      }
      case 'tool.completed': {
        const { callId, ok, result, error, ms } = event.data;
        this.patchCalls(
          (call) => (call.callId === callId ? { ...call, ok, result, error, ms } : call),
          id,
        );
        break;
      }
      case 'approval.required': {
        const data = event.data;
        this.approval.set(data);
        this.state.set('awaiting-approval');
        // The approval names the call it is for: that card shows "Waiting for your approval".
        this.patchCalls(
          (call) =>
            call.callId === data.callId
              ? { ...call, approval: { approvalId: data.approvalId, decision: 'pending' } }
              : call,
          id,
        );
        break;
      }
      case 'approval.auto': {
        const data = event.data;
        this.patchCalls(
          (call) =>
            call.callId === data.callId
              ? {
                  ...call,
                  approval: { approvalId: data.approvalId, decision: 'approved', auto: data.auto },
                }
              : call,
          id,
        );
        break;
      }
      case 'citations':
        this.patch(id, (m) => ({ ...m, citations: event.data.sources }));
        break;
      case 'usage':
        this.patch(id, (m) => ({ ...m, usage: event.data }));
        break;
      case 'done':
        this.patch(id, (m) => ({ ...m, id: event.data.messageId, status: 'complete' }));
        this.state.set('idle');
        return event.data.messageId;
      case 'error':
        // The answer shows the error (and Retry): the state says so, no second copy in a banner.
        this.patch(id, (m) => ({ ...m, status: 'error', error: event.data }));
        this.state.set('error');
        break;
    }
    return id;
  }

  /** Picks up what only the stored conversation knows (the provider that answered, the new title). */
  private refreshAfterTurn(conversationId: string, answerId: string): void {
    this.api
      .conversation(conversationId)
      .then((detail) => {
        const { messages: _messages, ...summary } = detail;
        this.conversations.upsert(summary);
        const stored = detail.messages.find((m) => m.id === answerId);
        if (stored?.provider) {
          this.session.lastProvider.set(stored.provider);
          if (this.conversationId() === conversationId)
            this.patch(answerId, (m) => ({ ...m, provider: stored.provider }));
        }
      })
      .catch(() => undefined);
  }

  private fail(message: string): void {
    this.error.set(message);
    this.state.set('error');
  }

  private reject(message: string): SendResult {
    this.fail(message);
    return { outcome: 'rejected', message };
  }

  private patch(id: string, change: (message: Message) => Message): void {
    this.messages.update((list) => list.map((m) => (m.id === id ? change(m) : m)));
  }

  private patchCalls(
    change: (call: Message['toolCalls'][number]) => Message['toolCalls'][number],
    id?: string,
  ): void {
    this.messages.update((list) =>
      list.map((m) =>
        m.role === 'assistant' && (!id || m.id === id)
          ? { ...m, toolCalls: m.toolCalls.map(change) }
          : m,
      ),
    );
  }
}

function titleFrom(content: string): string {
  const line = content.split('\n')[0].trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
