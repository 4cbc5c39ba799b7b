import { readSse, readTurn } from './sse';

/** A body that delivers the given chunks (as bytes, split wherever the test says). */
export function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('readSse', () => {
  it('parses events split across chunks, with CRLF, comments and multi-line data', async () => {
    const messages = await collect(
      readSse(
        streamOf(
          'event: message.de',
          'lta\r\ndata: {"text":',
          '"Hi"}\r\n\r\n: keep-alive\n\n',
          'data: a\ndata: b\n\n',
        ),
      ),
    );
    expect(messages).toEqual([
      { event: 'message.delta', data: '{"text":"Hi"}', id: undefined },
      { event: 'message', data: 'a\nb', id: undefined },
    ]);
  });

  it('keeps a UTF-8 character that is split between two chunks', async () => {
    const bytes = new TextEncoder().encode('data: {"text":"café ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 19));
        controller.enqueue(bytes.slice(19));
        controller.close();
      },
    });
    const [message] = await collect(readSse(body));
    expect(JSON.parse(message.data)).toEqual({ text: 'café ✓' });
  });

  it('drops an event that the stream ended before dispatching', async () => {
    expect(await collect(readSse(streamOf('data: complete\n\n', 'data: cut off')))).toEqual([
      { event: 'message', data: 'complete', id: undefined },
    ]);
  });

  it('cancels the body when the consumer stops reading', async () => {
    const cancel = vi.fn();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel,
    });
    for await (const message of readSse(body)) {
      expect(message.data).toBe('1');
      break;
    }
    expect(cancel).toHaveBeenCalled();
  });
});

describe('readTurn', () => {
  it('yields typed deltas, tool events, approval, citations, usage and done', async () => {
    const events = await collect(
      readTurn(
        streamOf(
          'event: message.delta\ndata: {"text":"Looking"}\n\n',
          'event: tool.started\ndata: {"callId":"c1","server":"ticketing","tool":"search_tickets","args":{"status":"open"}}\n\n',
          'event: tool.completed\ndata: {"callId":"c1","ok":true,"result":{"tickets":[]},"ms":12}\n\n',
          'event: approval.required\ndata: {"approvalId":"a1","tool":"update_ticket","args":{"number":"TCK-1"},"summary":"Set TCK-1 to resolved"}\n\n',
          'event: something.new\ndata: {}\n\n',
          'event: citations\ndata: {"sources":[{"documentId":"d","chunkId":"k","title":"T","section":"S","snippet":"x","score":1}]}\n\n',
          'event: usage\ndata: {"promptTokens":1,"completionTokens":2}\n\n',
          'event: done\ndata: {"messageId":"m1"}\n\n',
        ),
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      'message.delta',
      'tool.started',
      'tool.completed',
      'approval.required',
      'citations',
      'usage',
      'done',
    ]);
    expect(events[0]).toEqual({ type: 'message.delta', data: { text: 'Looking' } });
    expect(events[3]).toMatchObject({
      type: 'approval.required',
      data: { approvalId: 'a1', summary: 'Set TCK-1 to resolved' },
    });
  });

  it('passes the API error event through', async () => {
    const events = await collect(
      readTurn(
        streamOf('event: error\ndata: {"error":"rate_limited","message":"Too many requests"}\n\n'),
      ),
    );
    expect(events).toEqual([
      { type: 'error', data: { error: 'rate_limited', message: 'Too many requests' } },
    ]);
  });

  it('turns an unreadable event into a readable error and stops', async () => {
    const events = await collect(
      readTurn(streamOf('event: message.delta\ndata: {oops\n\n', 'event: done\ndata: {}\n\n')),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', data: { error: 'bad_event' } });
    expect((events[0].data as { message: string }).message).toContain('message.delta');
  });

  it('ends with an aborted error when the request is cancelled', async () => {
    let control!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (control = c) });
    control.enqueue(new TextEncoder().encode('event: message.delta\ndata: {"text":"a"}\n\n'));
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of readTurn(body)) {
        seen.push(event.type);
        control.error(new DOMException('The user aborted a request.', 'AbortError'));
      }
    })();
    await expect(reading).rejects.toThrow(/aborted/);
    expect(seen).toEqual(['message.delta']);
  });
});
