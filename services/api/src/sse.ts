/** Server-Sent Events of a turn: typed events with ids, and an AbortSignal that fires when the client goes away. */
import type { FastifyReply } from 'fastify';
import { markStream } from '@msi/kit';
import type { StreamEventName, StreamEvents } from '@msi/contracts/api';

export interface SseStream {
  /** Writes one event; `id` is what the client sends back as `Last-Event-ID` to resume after it. */
  send<K extends StreamEventName>(event: K, data: StreamEvents[K], id?: string): void;
  /** Ends the response (no-op when the client is already gone). */
  end(): void;
  /** Fires when the client closes the connection before `end()`. */
  readonly signal: AbortSignal;
}

export function openSse(reply: FastifyReply, heartbeatMs = 15_000): SseStream {
  const res = reply.raw;
  const ac = new AbortController();
  let ended = false;
  // Headers set by hooks (CORS) are carried over: after hijack Fastify no longer sends them.
  const headers: Record<string, string | string[] | number> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
  markStream(reply); // counted, but kept out of the response-time histogram
  reply.hijack();
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => !ended && res.write(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();
  const closed = () => {
    clearInterval(heartbeat);
    if (!ended) {
      ended = true;
      ac.abort(new Error('the client closed the connection'));
    }
  };
  res.on('close', closed);
  // A client that hung up before the stream opened (during authentication) sent its 'close' already.
  if (res.destroyed || !res.socket || res.socket.destroyed) closed();
  return {
    signal: ac.signal,
    send(event, data, id) {
      if (ended || res.destroyed) return;
      res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      res.end();
    },
  };
}
