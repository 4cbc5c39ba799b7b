import { Injectable, inject, signal } from '@angular/core';
import { TERMINAL_EVENTS, type Message, type StreamEvents } from '@msi/contracts/api';
import { ApiRequestError, ApiService } from '../../core/api.service';
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

/** Pauses before each attempt to read a turn's events again after the connection broke (ms): about a
 *  minute in all, long enough for the supervisor to start a crashed API again. */
export const RECONNECT_DELAYS = [250, 500, 1000, 2000, 4000, ...Array<number>(10).fill(5000)];

const emptyAnswer = (id: string): Message => ({
  id,
  role: 'assistant',
  content: '',
  createdAt: new Date().toISOString(),
  status: 'complete',
  toolCalls: [],
  citations: [],
});

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * One conversation's messages and the turn in progress. A turn runs on the API whether or not anyone
 * reads it: its events stream over SSE, and when the connection breaks (a network blip) the store reads
 * them again after the last one it applied; opening a conversation whose turn still runs (a reload, a new
 * window) reads it from the start, approval dialog included. Stop is an explicit request.
 */
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
  /** The connection to a running turn broke and is being made again. */
  readonly reconnecting = signal(false);

  /** Reads the current turn's events; aborting it stops the reading only (another conversation opened). */
  private controller: AbortController | null = null;
  private turnId: string | null = null;
  private lastEventId: string | undefined;
  private stopRequested = false;
  private lastContent = '';
  private openSeq = 0;

  get busy(): boolean {
    return this.state() === 'streaming' || this.state() === 'awaiting-approval';
  }

  /** Shows a conversation (null: a new, empty one). */
  async open(id: string | null): Promise<void> {
    if (id === this.conversationId() && (id === null || this.messages().length || this.busy))
      return;
    // Leaving a conversation leaves its turn running: it is shown again when the conversation is.
    this.detach();
    const seq = ++this.openSeq;
    this.conversationId.set(id);
    this.messages.set([]);
    this.error.set(null);
    this.approval.set(null);
    this.approvalError.set(null);
    this.state.set('idle');
    if (!id) return;
    this.loading.set(true);
    try {
      const detail = await this.api.conversation(id);
      if (seq !== this.openSeq) return;
      this.messages.set(detail.messages);
      const lastAnswer = [...detail.messages].reverse().find((m) => m.role === 'assistant');
      if (lastAnswer?.provider) this.session.lastProvider.set(lastAnswer.provider);
      if (detail.activeTurn) this.resume(id, detail.activeTurn.id);
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

  /** Stops the turn: asks the API to (its stream then ends with `cancelled`). */
  stop(): void {
    if (!this.busy) return;
    if (this.turnId) void this.requestStop(this.turnId);
    // The turn's id comes with its first event: the stop is sent then.
    else this.stopRequested = true;
  }

  private async requestStop(turnId: string): Promise<void> {
    this.stopRequested = false;
    try {
      await this.api.stopTurn(turnId);
    } catch (error) {
      if (this.turnId === turnId) this.error.set(`Could not stop the answer: ${messageOf(error)}`);
    }
  }

  /** Stops reading the current turn (it goes on at the API). */
  private detach(): void {
    this.controller?.abort();
    this.controller = null;
    this.turnId = null;
    this.lastEventId = undefined;
    this.stopRequested = false;
    this.reconnecting.set(false);
  }

  async decide(decision: 'approve' | 'deny'): Promise<void> {
    const approval = this.approval();
    if (!approval) return;
    this.approvalError.set(null);
    try {
      await this.api.decide(approval.approvalId, decision);
    } catch (error) {
      this.approvalError.set(`Your decision was not sent: ${messageOf(error)}`);
      return;
    }
    this.approval.set(null);
    if (this.state() === 'awaiting-approval') this.state.set('streaming');
    this.patchCalls((call) =>
      call.approval?.approvalId === approval.approvalId
        ? {
            ...call,
            approval: {
              ...call.approval,
              decision: decision === 'approve' ? 'approved' : 'denied',
            },
          }
        : call,
    );
  }

  /** Runs one turn; returns why the API refused the message when it did so before answering. */
  private async run(conversationId: string, content: string): Promise<string | null> {
    const controller = new AbortController();
    this.controller = controller;
    this.turnId = null;
    this.lastEventId = undefined;
    this.stopRequested = false;
    const answerId = localId('answer');
    const question: Message = {
      ...emptyAnswer(localId('question')),
      role: 'user',
      content,
    };
    this.messages.update((list) => [...list, question, emptyAnswer(answerId)]);
    let body: ReadableStream<Uint8Array>;
    try {
      body = await this.api.sendMessage(conversationId, content, controller.signal);
    } catch (error) {
      if (this.controller === controller) this.controller = null;
      if (controller.signal.aborted) return null;
      // Refused before any answer: the question was not stored, so it leaves the conversation.
      this.messages.update((list) => list.filter((m) => m.id !== question.id && m.id !== answerId));
      return messageOf(error);
    }
    await this.follow(conversationId, answerId, controller, body, false);
    return null;
  }

  /** Shows a turn that is running at the API: its answer so far from all its events, then the rest. */
  private resume(conversationId: string, turnId: string): void {
    const controller = new AbortController();
    this.controller = controller;
    this.turnId = turnId;
    this.lastEventId = undefined;
    const answerId = localId('answer');
    this.messages.update((list) => [...list, emptyAnswer(answerId)]);
    this.state.set('streaming');
    void this.follow(conversationId, answerId, controller, undefined, true);
  }

  /**
   * Applies the turn's events to its answer until the turn ends; a stream that breaks or ends early is
   * read again after the last event applied (with pauses, RECONNECT_DELAYS), so nothing is missed or
   * applied twice.
   */
  private async follow(
    conversationId: string,
    answerId: string,
    controller: AbortController,
    first: ReadableStream<Uint8Array> | undefined,
    resumed: boolean,
  ): Promise<void> {
    let currentId = answerId;
    let body = first;
    let failures = 0;
    // The stored conversation replaces what was shown when the turn was read again, or was cut off by
    // the API stopping (its record says what became of each call).
    let replace = resumed;
    const current = () => this.controller === controller;
    try {
      for (;;) {
        try {
          body ??= await this.api.turnEvents(this.turnId!, this.lastEventId, controller.signal);
          for await (const event of readTurn(body)) {
            if (!current()) return;
            failures = 0;
            this.reconnecting.set(false);
            if (event.id) this.lastEventId = event.id;
            currentId = this.apply(currentId, event);
            if (event.type === 'error' && event.data.error === 'interrupted') replace = true;
            if (TERMINAL_EVENTS.includes(event.type)) return;
          }
        } catch (error) {
          if (controller.signal.aborted || !current()) return;
          // The API refused to read the turn again (it is not this person's, or it is gone): final.
          const refused =
            error instanceof ApiRequestError &&
            error.status >= 400 &&
            error.status < 500 &&
            error.status !== 429;
          if (refused || !this.turnId) throw error;
        }
        body = undefined;
        if (controller.signal.aborted || !current()) return;
        // Without the turn's id (its first event never came) there is nothing to read again.
        if (!this.turnId)
          throw new Error(
            'The answer stopped before it was finished: the connection to the API closed.',
          );
        if (failures >= RECONNECT_DELAYS.length)
          throw new Error(
            'Lost the connection to the API while it was answering. The answer may still be running there: open this conversation again to see it.',
          );
        this.reconnecting.set(true);
        await pause(RECONNECT_DELAYS[failures++], controller.signal);
        if (controller.signal.aborted || !current()) return;
      }
    } catch (error) {
      const message = messageOf(error);
      this.patch(currentId, (m) => ({
        ...m,
        status: 'error',
        error: { error: 'stream_error', message },
      }));
      this.state.set('error');
    } finally {
      if (current()) {
        this.controller = null;
        this.turnId = null;
        this.reconnecting.set(false);
        this.approval.set(null);
        this.approvalError.set(null);
        this.refreshAfterTurn(conversationId, currentId, replace);
      }
    }
  }

  /** Applies one stream event to the answer; returns the answer's (possibly new) id. */
  private apply(id: string, event: StreamEvent): string {
    switch (event.type) {
      case 'turn.started':
        this.turnId = event.data.turnId;
        if (this.stopRequested) void this.requestStop(event.data.turnId);
        break;
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
      case 'approval.decided': {
        const { approvalId, decision } = event.data;
        // Decided here, in another window, by a timeout or by the turn's end: the dialog closes.
        if (this.approval()?.approvalId === approvalId) {
          this.approval.set(null);
          this.approvalError.set(null);
          if (this.state() === 'awaiting-approval') this.state.set('streaming');
        }
        this.patchCalls(
          (call) =>
            call.approval?.approvalId === approvalId
              ? { ...call, approval: { approvalId, decision } }
              : call,
          id,
        );
        break;
      }
      case 'cancelled':
        this.patch(id, (m) => ({ ...m, id: event.data.messageId, status: 'cancelled' }));
        this.state.set('idle');
        return event.data.messageId;
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

  /**
   * Picks up what only the stored conversation knows (the provider that answered, the new title); after
   * a turn read again (`resumed`) the stored messages replace the shown ones: they are the record.
   */
  private refreshAfterTurn(conversationId: string, answerId: string, resumed = false): void {
    this.api
      .conversation(conversationId)
      .then((detail) => {
        const { messages: _messages, activeTurn: _turn, ...summary } = detail;
        this.conversations.upsert(summary);
        const stored = detail.messages.find((m) => m.id === answerId);
        if (stored?.provider) this.session.lastProvider.set(stored.provider);
        if (this.conversationId() !== conversationId || this.busy) return;
        if (resumed && !detail.activeTurn) this.messages.set(detail.messages);
        else if (stored?.provider)
          this.patch(answerId, (m) => ({ ...m, provider: stored.provider }));
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
