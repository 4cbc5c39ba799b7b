/** The in-process event log of turns: ids, reading after an id, waiting for new events, the end. */
import { describe, expect, it } from 'vitest';
import { BadEventIdError, createMemoryEventLog, type TurnEvent } from '../src/turns/events.js';

async function collect(it: AsyncIterable<TurnEvent>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.id}:${e.event}`);
  return out;
}

describe('createMemoryEventLog', () => {
  it('reads every event after an id, then the new ones, and ends after the close', async () => {
    const log = createMemoryEventLog();
    log.open('t');
    expect(log.append('t', 'turn.started', { turnId: 't', conversationId: 'c' })).toBe('1');
    log.append('t', 'message.delta', { text: 'a' });
    const ac = new AbortController();
    const live = collect(log.read('t', '1', ac.signal)!);
    const all = collect(log.read('t', undefined, ac.signal)!);
    log.append('t', 'message.delta', { text: 'b' });
    log.append('t', 'done', { messageId: 'm' });
    log.close('t');
    expect(await live).toEqual(['2:message.delta', '3:message.delta', '4:done']);
    expect(await all).toEqual(['1:turn.started', '2:message.delta', '3:message.delta', '4:done']);
    // After the end: what is left after the last id is nothing.
    expect(await collect(log.read('t', '4', ac.signal)!)).toEqual([]);
    expect(() => log.append('t', 'message.delta', { text: 'late' })).toThrow();
  });

  it('a reader that goes away stops waiting; unknown turns and ids are told apart', async () => {
    const log = createMemoryEventLog();
    log.open('t');
    log.append('t', 'message.delta', { text: 'a' });
    const ac = new AbortController();
    const reading = collect(log.read('t', undefined, ac.signal)!);
    ac.abort();
    expect(await reading).toEqual(['1:message.delta']);
    expect(log.read('nope', undefined, ac.signal)).toBeUndefined();
    expect(() => log.read('t', 'x1', ac.signal)).toThrow(BadEventIdError);
    expect(() => log.read('t', '2', ac.signal)).toThrow(BadEventIdError);
  });
});
