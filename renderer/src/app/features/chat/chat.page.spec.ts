import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { ConversationSummary } from '@msi/contracts/api';
import { ApiRequestError, ApiService } from '../../core/api.service';
import { chatMatcher } from '../../app.routes';
import { ChatPage, shortcutOf } from './chat.page';

const summary: ConversationSummary = {
  id: 'c1',
  title: 'Show my tickets',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  messageCount: 0,
  pinned: false,
};

/** A fake API whose answer stream the test writes event by event. */
class FakeApi {
  stream!: ReadableStreamDefaultController<Uint8Array>;
  signal!: AbortSignal;
  createConversation = vi.fn(async () => summary);
  conversations = vi.fn(async () => [] as ConversationSummary[]);
  conversation = vi.fn(async () => ({ ...summary, messages: [] }));
  decide = vi.fn(async () => ({}));
  passage = vi.fn();
  me = vi.fn(async () => ({ provider: 'offline' }));
  home = vi.fn(async () => ({
    role: 'agent',
    queue: { total: 0, tickets: [] },
    suggestions: ['Show my open tickets'],
    unavailable: [],
  }));
  sendMessage = vi.fn(async (_id: string, _content: string, signal: AbortSignal) => {
    this.signal = signal;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.stream = controller;
        signal.addEventListener('abort', () =>
          controller.error(new DOMException('Aborted', 'AbortError')),
        );
      },
    });
  });
  /** Reading a turn again: each call opens a new stream the test writes (`stream` is the newest). */
  turnEvents = vi.fn(
    async (_turnId: string, _lastEventId: string | undefined, signal: AbortSignal) =>
      this.sendMessage('', '', signal),
  );
  stopTurn = vi.fn(async (turnId: string) => ({ turnId, status: 'running' }));
  emit(event: string, data: unknown, id?: string): void {
    this.stream.enqueue(
      new TextEncoder().encode(
        `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
      ),
    );
  }
}

describe('ChatPage', () => {
  let api: FakeApi;

  beforeEach(() => {
    api = new FakeApi();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ matcher: chatMatcher, component: ChatPage }]),
        { provide: ApiService, useValue: api },
      ],
    });
  });

  async function setup() {
    // The entity panels are a deferred block of the page.
    await TestBed.configureTestingModule({ imports: [ChatPage] }).compileComponents();
    const fixture = TestBed.createComponent(ChatPage);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    const chat = () => root.querySelector<HTMLElement>('[data-testid="chat"]')!;
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve));
        await fixture.whenStable();
      }
    };
    const type = async (text: string, key = 'Enter', shiftKey = false) => {
      const box = root.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]')!;
      box.value = text;
      box.dispatchEvent(new Event('input'));
      box.dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, cancelable: true }));
      await settle();
    };
    const button = (name: string) =>
      [...root.querySelectorAll<HTMLButtonElement>('button')].find(
        (b) => b.textContent?.trim() === name,
      );
    return { fixture, root, chat, settle, type, button };
  }

  it('starts idle, streams deltas, and returns to idle when done', async () => {
    const { root, chat, type, settle, button } = await setup();
    expect(chat().dataset['state']).toBe('idle');
    expect(button('Send')).toBeDefined();

    await type('Show my tickets');
    expect(api.createConversation).toHaveBeenCalledWith('Show my tickets');
    expect(api.sendMessage).toHaveBeenCalledWith('c1', 'Show my tickets', expect.any(AbortSignal));
    expect(chat().dataset['state']).toBe('streaming');
    expect(button('Stop')).toBeDefined();
    expect(button('Send')).toBeUndefined();
    expect(root.textContent).toContain('Thinking…');

    api.emit('message.delta', { text: 'You have ' });
    api.emit('message.delta', { text: 'two tickets.' });
    await settle();
    expect(root.querySelector('[data-role="assistant"]')?.textContent).toContain(
      'You have two tickets.',
    );

    api.emit('tool.started', {
      callId: 't1',
      server: 'ticketing',
      tool: 'search_tickets',
      args: { status: 'open' },
    });
    await settle();
    const card = () => root.querySelector<HTMLElement>('[data-testid="tool-card"]')!;
    expect(card().dataset['state']).toBe('running');
    api.emit('tool.completed', {
      callId: 't1',
      ok: true,
      result: { tickets: [{ number: 'TCK-1', title: 'Camera' }] },
      ms: 8,
    });
    api.emit('done', { messageId: 'm2' });
    await settle();
    expect(card().dataset['state']).toBe('ok');
    expect(chat().dataset['state']).toBe('idle');
    card().querySelector('button')!.click();
    await settle();
    expect(card().querySelector('table')?.textContent).toContain('TCK-1');
  });

  it('Shift+Enter does not send', async () => {
    const { chat, type } = await setup();
    await type('first line', 'Enter', true);
    expect(api.createConversation).not.toHaveBeenCalled();
    expect(chat().dataset['state']).toBe('idle');
  });

  it('waits for approval in a dialog and sends the decision', async () => {
    const { root, chat, type, settle, button } = await setup();
    await type('Resolve TCK-1 and TCK-2');
    for (const [callId, number] of [
      ['t1', 'TCK-1'],
      ['t2', 'TCK-2'],
    ])
      api.emit('tool.started', {
        callId,
        server: 'ticketing',
        tool: 'resolve_ticket',
        args: { number },
      });
    api.emit('approval.required', {
      approvalId: 'a1',
      callId: 't1',
      tool: 'resolve_ticket',
      args: { number: 'TCK-1' },
      summary: 'Resolve ticket TCK-1',
    });
    await settle();
    expect(chat().dataset['state']).toBe('awaiting-approval');
    // The card the approval names waits for it, not the latest card of the same tool.
    const cards = [...root.querySelectorAll<HTMLElement>('[data-testid="tool-card"]')];
    expect(cards.map((c) => c.textContent?.includes('Waiting for your approval'))).toEqual([
      true,
      false,
    ]);
    const dialog = root.querySelector<HTMLDialogElement>('dialog[data-testid="approval-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    expect(dialog.textContent).toContain('Approve change?');
    expect(dialog.textContent).toContain('Resolve ticket TCK-1');

    button('Approve')!.click();
    await settle();
    expect(api.decide).toHaveBeenCalledWith('a1', 'approve', {});
    expect(chat().dataset['state']).toBe('streaming');
    expect(dialog.hasAttribute('open')).toBe(false);
  });

  it('Esc in the approval dialog denies', async () => {
    const { root, type, settle } = await setup();
    await type('Resolve TCK-1');
    api.emit('approval.required', {
      approvalId: 'a9',
      callId: 't9',
      tool: 'resolve_ticket',
      args: {},
      summary: 'Resolve',
    });
    await settle();
    root.querySelector('dialog')!.dispatchEvent(new Event('cancel', { cancelable: true }));
    await settle();
    expect(api.decide).toHaveBeenCalledWith('a9', 'deny', {});
  });

  it('shows the API’s error in words and offers Retry', async () => {
    const { root, chat, type, settle, button } = await setup();
    await type('Hello');
    api.emit('error', { error: 'rate_limited', message: 'Too many requests: wait 20 seconds.' });
    await settle();
    expect(chat().dataset['state']).toBe('error');
    expect(root.querySelector('[role="alert"]')?.textContent).toContain(
      'Too many requests: wait 20 seconds.',
    );

    button('Retry')!.click();
    await settle();
    expect(api.sendMessage).toHaveBeenCalledTimes(2);
    expect(chat().dataset['state']).toBe('streaming');
  });

  it('an error while answering is shown once, in the answer, with its Retry', async () => {
    const { root, type, settle } = await setup();
    await type('Hello');
    api.emit('error', { error: 'model_error', message: 'The model failed.' });
    await settle();
    expect(root.textContent!.split('The model failed.').length - 1).toBe(1);
    expect(root.querySelector('[data-testid="chat-error"]')).toBeNull();
    expect(root.querySelectorAll('button[aria-label="Retry"]').length).toBe(1);
  });

  it('a send the API refuses keeps the draft and says why once, without a Retry', async () => {
    api.sendMessage.mockRejectedValueOnce(
      new ApiRequestError('no conversation c1', 'not_found', 404),
    );
    const { root, chat, type, button } = await setup();
    await type('Please keep this text');
    const box = root.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]')!;
    expect(box.value).toBe('Please keep this text');
    expect(chat().dataset['state']).toBe('error');
    expect(root.querySelector('[data-testid="chat-error"]')?.textContent).toContain(
      'Not sent: no conversation c1',
    );
    expect(root.textContent!.split('no conversation c1').length - 1).toBe(1);
    expect(root.querySelectorAll('[data-testid="message"]').length).toBe(0);
    expect(button('Retry')).toBeUndefined();
    expect(button('Send')!.disabled).toBe(false);
  });

  it('counts characters near the limit and does not send past it', async () => {
    const { root, type, settle, button } = await setup();
    const count = () => root.querySelector('[data-testid="char-count"]')!.textContent!.trim();
    await type('short', 'a');
    expect(count()).toBe('');
    await type('x'.repeat(7300), 'a');
    expect(count()).toBe('7,300 / 8,000');
    expect(button('Send')!.disabled).toBe(false);
    await type('x'.repeat(8012), 'Enter');
    await settle();
    expect(count()).toContain('8,012 / 8,000');
    expect(count()).toContain('12 over the limit');
    expect(button('Send')!.disabled).toBe(true);
    expect(api.createConversation).not.toHaveBeenCalled();
    expect(api.sendMessage).not.toHaveBeenCalled();
  });

  it('says so when the API cannot be reached', async () => {
    api.createConversation.mockRejectedValueOnce(
      new ApiRequestError(
        'Cannot reach the API at http://127.0.0.1:8000 (Failed to fetch).',
        'unreachable',
      ),
    );
    const { root, chat, type } = await setup();
    await type('Hello');
    expect(chat().dataset['state']).toBe('error');
    expect(root.querySelector('[data-testid="chat-error"]')?.textContent).toContain(
      'Cannot reach the API',
    );
    expect(root.querySelector<HTMLTextAreaElement>('textarea')!.value).toBe('Hello');
  });

  it('says so when the stream ends before the answer is done', async () => {
    const { root, chat, type, settle } = await setup();
    await type('Hello');
    api.emit('message.delta', { text: 'Half' });
    api.stream.close();
    await settle();
    expect(chat().dataset['state']).toBe('error');
    expect(root.textContent).toContain('stopped before it was finished');
  });

  it('Stop asks the API to stop the turn; the answer is marked stopped when the API says so', async () => {
    const { root, chat, type, settle, button } = await setup();
    await type('Hello');
    api.emit('turn.started', { turnId: 't1', conversationId: 'c1' }, '1');
    api.emit('message.delta', { text: 'Part of an answer' }, '2');
    await settle();
    button('Stop')!.click();
    await settle();
    expect(api.stopTurn).toHaveBeenCalledWith('t1');
    // Still the turn's: stopping takes the API's word.
    expect(chat().dataset['state']).toBe('streaming');
    api.emit('cancelled', { messageId: 'm9' }, '3');
    await settle();
    expect(chat().dataset['state']).toBe('idle');
    expect(root.querySelector('[data-role="assistant"]')?.getAttribute('data-status')).toBe(
      'cancelled',
    );
    expect(root.textContent).toContain('Stopped.');
  });

  it('a stream that breaks is read again after the last event: nothing missing or twice', async () => {
    const { root, chat, type, settle } = await setup();
    await type('Hello');
    api.emit('turn.started', { turnId: 't1', conversationId: 'c1' }, '1');
    api.emit('message.delta', { text: 'one ' }, '2');
    api.emit('message.delta', { text: 'two ' }, '3');
    await settle();
    api.stream.error(new TypeError('network error'));
    await vi.waitFor(() =>
      expect(api.turnEvents).toHaveBeenCalledWith('t1', '3', expect.anything()),
    );
    expect(chat().dataset['state']).toBe('streaming');
    api.emit('message.delta', { text: 'three' }, '4');
    api.emit('done', { messageId: 'm2' }, '5');
    await settle();
    expect(chat().dataset['state']).toBe('idle');
    expect(root.querySelector('[data-role="assistant"]')?.textContent).toContain('one two three');
    expect(root.querySelector('[data-testid="reconnecting"]')).toBeNull();
  });

  it('opening a conversation whose turn runs shows it where it is, its approval dialog included', async () => {
    const question = {
      id: 'q1',
      role: 'user' as const,
      content: 'Create a ticket',
      createdAt: summary.createdAt,
      status: 'complete' as const,
      toolCalls: [],
      citations: [],
    };
    const answer = { ...question, id: 'm5', role: 'assistant' as const, content: 'Created TCK-9.' };
    api.conversation
      .mockResolvedValueOnce({
        ...summary,
        messages: [question],
        activeTurn: { id: 't7', status: 'running', startedAt: summary.createdAt },
      } as never)
      .mockResolvedValue({ ...summary, messages: [question, answer] } as never);
    const { fixture, root, chat, settle, button } = await setup();
    fixture.componentRef.setInput('id', 'c1');
    await vi.waitFor(() =>
      expect(api.turnEvents).toHaveBeenCalledWith('t7', undefined, expect.anything()),
    );
    api.emit('turn.started', { turnId: 't7', conversationId: 'c1' }, '1');
    api.emit(
      'tool.started',
      { callId: 'k1', server: 'ticketing', tool: 'create_ticket', args: { title: 'Dock' } },
      '2',
    );
    api.emit(
      'approval.required',
      {
        approvalId: 'a7',
        callId: 'k1',
        tool: 'create_ticket',
        args: { title: 'Dock' },
        summary: 'Create: Dock',
        schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
        policy: { alwaysAsk: false, locked: [] },
      },
      '3',
    );
    await settle();
    expect(chat().dataset['state']).toBe('awaiting-approval');
    const dialog = root.querySelector<HTMLDialogElement>('dialog[data-testid="approval-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    expect(dialog.textContent).toContain('Create: Dock');
    // Replayed, the approval is the form again: its fields pre-filled with the proposal.
    expect(dialog.querySelector<HTMLInputElement>('[data-field="title"] input')?.value).toBe(
      'Dock',
    );
    button('Approve')!.click();
    await settle();
    expect(api.decide).toHaveBeenCalledWith('a7', 'approve', {});
    api.emit('approval.decided', { approvalId: 'a7', callId: 'k1', decision: 'approved' }, '4');
    api.emit('message.delta', { text: 'Created TCK-9.' }, '5');
    api.emit('done', { messageId: 'm5' }, '6');
    await settle();
    expect(chat().dataset['state']).toBe('idle');
    expect(dialog.hasAttribute('open')).toBe(false);
    // The stored conversation is the record once the turn ended.
    await vi.waitFor(() => expect(api.conversation).toHaveBeenCalledTimes(2));
    await settle();
    const messages = [...root.querySelectorAll('[data-testid="message"]')];
    expect(messages.map((m) => m.textContent)).toEqual([
      expect.stringContaining('Create a ticket'),
      expect.stringContaining('Created TCK-9.'),
    ]);
  });

  it('an approval decided elsewhere closes the dialog', async () => {
    const { root, type, settle } = await setup();
    await type('Resolve TCK-1');
    api.emit('turn.started', { turnId: 't1', conversationId: 'c1' }, '1');
    api.emit(
      'approval.required',
      { approvalId: 'a2', callId: 't2', tool: 'resolve_ticket', args: {}, summary: 'Resolve' },
      '2',
    );
    await settle();
    const dialog = root.querySelector<HTMLDialogElement>('dialog[data-testid="approval-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    api.emit('approval.decided', { approvalId: 'a2', callId: 't2', decision: 'timeout' }, '3');
    await settle();
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(api.decide).not.toHaveBeenCalled();
  });
});

describe('keyboard shortcuts', () => {
  const key = (init: KeyboardEventInit, target?: HTMLElement) => {
    const e = new KeyboardEvent('keydown', init);
    if (target) Object.defineProperty(e, 'target', { value: target });
    return shortcutOf(e);
  };
  it('Ctrl/⌘+K search, Ctrl/⌘+Shift+O new chat, / the composer unless typing', () => {
    expect(key({ key: 'k', ctrlKey: true })).toBe('search');
    expect(key({ key: 'K', metaKey: true })).toBe('search');
    expect(key({ key: 'O', ctrlKey: true, shiftKey: true })).toBe('new-chat');
    expect(key({ key: 'o', ctrlKey: true })).toBeNull();
    expect(key({ key: '/' }, document.createElement('button'))).toBe('composer');
    expect(key({ key: '/' }, document.createElement('textarea'))).toBeNull();
    expect(key({ key: '/' }, document.createElement('input'))).toBeNull();
    expect(key({ key: 'k' })).toBeNull();
  });
});
