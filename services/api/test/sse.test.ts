/** The event stream of a turn over real HTTP: a client that hangs up is noticed (its reading of the turn ends), whenever it hangs up. */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse, type SseStream } from '../src/sse.js';

const app = Fastify();
let opened: (s: SseStream) => void;
app.post('/turn', { preHandler: async () => new Promise((r) => setTimeout(r, 300)) }, async (_req, reply) => {
  const sse = openSse(reply);
  opened(sse);
});
let base = '';
beforeAll(async () => {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
});

describe('openSse', () => {
  it('a client that hung up before the stream opened is noticed at once', async () => {
    const stream = new Promise<SseStream>((r) => (opened = r));
    const ac = new AbortController();
    const req = fetch(`${base}/turn`, { method: 'POST', body: '{}', signal: ac.signal }).catch(
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await req;
    const sse = await stream;
    await new Promise((r) => setTimeout(r, 100));
    expect(sse.signal.aborted).toBe(true);
    sse.end();
  });
});
