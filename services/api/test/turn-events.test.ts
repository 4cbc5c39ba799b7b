/**
 * The event log of turns, the same contract in this process and in Redis Streams (the real server on
 * 127.0.0.1:6379, keys under a prefix of this file's own): ids, reading after an id, waiting for new
 * events, the end, a foreign id, and ending a stream an instance that died left open. The Redis log is
 * also read through a second connection, as another API instance reads it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, createLogger, type SharedRedis } from '@msi/kit';
import {
  BadEventIdError,
  createMemoryEventLog,
  type TurnEvent,
  type TurnEventLog,
} from '../src/turns/events.js';
import { createRedisEventLog } from '../src/turns/redis-events.js';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger('test', 'silent');
const prefix = `msi-test-turn-events-${process.pid}:`;
const connections: SharedRedis[] = [];
afterAll(async () => {
  const r = connections[0];
  if (r) {
    const keys = await r.client.keys(`${prefix}*`);
    if (keys.length) await r.client.del(...keys);
  }
  await Promise.all(connections.map((c) => c.close()));
});

async function collect(it: AsyncIterable<TurnEvent> | undefined): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const e of it!) out.push(e);
  return out;
}
const names = (es: TurnEvent[]) => es.map((e) => e.event);

async function redisLog(): Promise<TurnEventLog> {
  const redis = await connectRedis({ url: REDIS_URL, prefix, log });
  connections.push(redis);
  // Short blocks: a reader that was told to go away is seen to stop quickly.
  return createRedisEventLog({ redis, log, blockMs: 200 });
}

const kinds: [string, () => Promise<{ writer: TurnEventLog; reader: TurnEventLog }>][] = [
  [
    'in process',
    () => {
      const l = createMemoryEventLog();
      return Promise.resolve({ writer: l, reader: l });
    },
  ],
  [
    'Redis Streams (written and read by two instances)',
    async () => ({ writer: await redisLog(), reader: await redisLog() }),
  ],
];

describe.each(kinds)('the turn event log: %s', (_name, make) => {
  it('reads every event after an id, then the new ones, and ends after the close', async () => {
    const { writer, reader } = await make();
    const t = randomUUID();
    writer.open(t);
    writer.append(t, 'turn.started', { turnId: t, conversationId: 'c' });
    writer.append(t, 'message.delta', { text: 'a' });
    const ac = new AbortController();
    // Wait until the reader sees the first two (a shared log's writes arrive a moment later).
    const head = [] as TurnEvent[];
    for await (const e of (await reader.read(t, undefined, ac.signal))!) {
      head.push(e);
      if (head.length === 2) break;
    }
    expect(names(head)).toEqual(['turn.started', 'message.delta']);
    const live = collect(await reader.read(t, head[0]!.id, ac.signal));
    const all = collect(await reader.read(t, undefined, ac.signal));
    writer.append(t, 'message.delta', { text: 'b' });
    writer.append(t, 'done', { messageId: 'm' });
    writer.close(t);
    const got = await all;
    expect(names(got)).toEqual(['turn.started', 'message.delta', 'message.delta', 'done']);
    expect(got.map((e) => e.data)).toEqual([
      { turnId: t, conversationId: 'c' },
      { text: 'a' },
      { text: 'b' },
      { messageId: 'm' },
    ]);
    expect(await live).toEqual(got.slice(1));
    // Ids are distinct and every reader sees the same ones.
    expect(new Set(got.map((e) => e.id)).size).toBe(4);
    // After the end: what is left after the last id is nothing.
    expect(await collect(await reader.read(t, got.at(-1)!.id, ac.signal))).toEqual([]);
    // Ending a closed stream does nothing.
    expect(await writer.end(t, 'error', { error: 'interrupted', message: 'x' })).toBe(false);
  });

  it('a reader that goes away stops waiting; unknown turns, malformed and foreign ids are told apart', async () => {
    const { writer, reader } = await make();
    const t = randomUUID();
    const other = randomUUID();
    writer.open(t);
    writer.open(other);
    writer.append(t, 'message.delta', { text: 'a' });
    writer.append(other, 'message.delta', { text: 'z' });
    const ac = new AbortController();
    const seen: TurnEvent[] = [];
    const source = (await reader.read(t, undefined, ac.signal))!;
    for await (const e of source) {
      seen.push(e);
      ac.abort();
    }
    expect(names(seen)).toEqual(['message.delta']);
    expect(await reader.read(randomUUID(), undefined, ac.signal)).toBeUndefined();
    await expect(reader.read(t, 'x1', ac.signal)).rejects.toThrow(BadEventIdError);
    // An id of another turn is not one of this turn's.
    const fresh = new AbortController();
    const [foreign] = await (async () => {
      for await (const e of (await reader.read(other, undefined, fresh.signal))!) return [e];
      return [];
    })();
    if (foreign!.id !== seen[0]!.id)
      await expect(reader.read(t, foreign!.id, ac.signal)).rejects.toThrow(BadEventIdError);
    await expect(reader.read(t, '99999999999999-0', ac.signal)).rejects.toThrow(BadEventIdError);
  });

  it('a stream left open (its instance died) is ended by another: its readers get the last event and end', async () => {
    const { writer, reader } = await make();
    const t = randomUUID();
    writer.open(t);
    writer.append(t, 'message.delta', { text: 'half' });
    const ac = new AbortController();
    const reading = collect(await reader.read(t, undefined, ac.signal));
    expect(await reader.end(t, 'error', { error: 'interrupted', message: 'the API stopped' })).toBe(true);
    const got = await reading;
    expect(names(got)).toEqual(['message.delta', 'error']);
    expect(got[1]!.data).toEqual({ error: 'interrupted', message: 'the API stopped' });
    expect(await reader.end(randomUUID(), 'error', { error: 'interrupted', message: 'x' })).toBe(false);
  });
});
