import type { ApiError, StreamEventName, StreamEvents } from '@msi/contracts/api';

/** One Server-Sent Events message. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** A typed event of the API's answer stream; `id` is what resumes the stream after it (Last-Event-ID). */
export type StreamEvent = {
  [K in StreamEventName]: { type: K; data: StreamEvents[K]; id?: string };
}[StreamEventName];

const EVENT_NAMES: ReadonlySet<string> = new Set<StreamEventName>([
  'turn.started',
  'approval.decided',
  'cancelled',
  'message.delta',
  'tool.started',
  'tool.completed',
  'approval.required',
  'citations',
  'usage',
  'done',
  'error',
]);

/**
 * Parses a `text/event-stream` body (per the WHATWG rules: `event:`, `data:` lines joined by "\n",
 * `id:`, comments, CR/LF/CRLF line ends, a blank line dispatches). Stops reading, and cancels the body,
 * when the consumer stops iterating or the body ends.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let done = false;
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      buffer += done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      if (done && buffer && !buffer.endsWith('\n')) buffer += '\n';
      let match: RegExpExecArray | null;
      const lineEnd = /\r\n|\r(?!$)|\n/g;
      let start = 0;
      while ((match = lineEnd.exec(buffer))) {
        const line = buffer.slice(start, match.index);
        start = match.index + match[0].length;
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n'), id };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    // Runs on a normal end, on an error and when the consumer breaks out: releases the connection.
    await reader.cancel().catch(() => undefined);
  }
}

/** The API's answer events, typed. Unknown event names are skipped; a malformed one becomes an `error`. */
export async function* readTurn(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  for await (const message of readSse(body)) {
    if (!EVENT_NAMES.has(message.event)) continue;
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      const error: ApiError = {
        error: 'bad_event',
        message: `The API sent an unreadable "${message.event}" event.`,
      };
      yield { type: 'error', data: error };
      return;
    }
    yield (
      message.id ? { type: message.event, data, id: message.id } : { type: message.event, data }
    ) as StreamEvent;
  }
}
