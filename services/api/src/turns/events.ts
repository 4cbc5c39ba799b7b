/**
 * A turn's events as a stream that can be read again: each event gets an id as it is appended, a reader
 * gets every event after the id it names (all of them without one), then the new ones as they come, and
 * ends after the turn's last event. The desktop keeps them in this process (`createMemoryEventLog`);
 * with REDIS_URL they are in Redis Streams (redis-events.ts) so that any API instance serves a reconnect.
 * Writing stays synchronous for the runner (a shared log sends its commands in order on one connection);
 * reading is asynchronous.
 */
import type { StreamEventName, StreamEvents } from '@msi/contracts/api';

export interface TurnEvent<K extends StreamEventName = StreamEventName> {
  /** Opaque to clients, increasing within one turn. */
  id: string;
  event: K;
  data: StreamEvents[K];
}

export class BadEventIdError extends Error {}

export interface TurnEventLog {
  /** Starts a turn's stream (before its first event). */
  open(turnId: string): void;
  /** Appends one event; events of one turn keep the order of the calls. */
  append<K extends StreamEventName>(turnId: string, event: K, data: StreamEvents[K]): void;
  /** The turn's last event was appended: readers end after it. */
  close(turnId: string): void;
  /**
   * The events after `afterId` (every event when undefined), then the new ones until the stream is closed
   * or `signal` aborts. Undefined when the log does not have the turn (never opened here, or dropped
   * after its retention). BadEventIdError when `afterId` is not an id of this log.
   */
  read(
    turnId: string,
    afterId: string | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<TurnEvent> | undefined>;
  /**
   * A stream left open by a process that died (the turn was recovered): appends its last event and closes
   * it, so that its readers end. False when the log does not have it open (nothing to end).
   */
  end<K extends StreamEventName>(turnId: string, event: K, data: StreamEvents[K]): Promise<boolean>;
}

interface Entry {
  events: TurnEvent[];
  closed: boolean;
  /** Readers waiting for the next event (or the close). */
  waiters: Set<() => void>;
}

/**
 * In this process. A closed turn's events stay readable for `retainMs` (a reload just after the end still
 * gets them), then only the stored conversation has them.
 */
export function createMemoryEventLog(opts: { retainMs?: number } = {}): TurnEventLog & {
  readonly size: number;
} {
  const retainMs = opts.retainMs ?? 10 * 60_000;
  const turns = new Map<string, Entry>();
  const wake = (e: Entry) => {
    for (const w of e.waiters) w();
    e.waiters.clear();
  };
  return {
    get size() {
      return turns.size;
    },
    open(turnId) {
      if (!turns.has(turnId)) turns.set(turnId, { events: [], closed: false, waiters: new Set() });
    },
    append(turnId, event, data) {
      const e = turns.get(turnId);
      if (!e || e.closed) throw new Error(`turn ${turnId} has no open event stream`);
      const id = String(e.events.length + 1);
      e.events.push({ id, event, data } as TurnEvent);
      wake(e);
      return id;
    },
    close(turnId) {
      const e = turns.get(turnId);
      if (!e || e.closed) return;
      e.closed = true;
      wake(e);
      setTimeout(() => turns.delete(turnId), retainMs).unref();
    },
    end(turnId, event, data) {
      const e = turns.get(turnId);
      if (!e || e.closed) return Promise.resolve(false);
      this.append(turnId, event, data);
      this.close(turnId);
      return Promise.resolve(true);
    },
    async read(turnId, afterId, signal) {
      const e = turns.get(turnId);
      if (!e) return undefined;
      let next = 0;
      if (afterId !== undefined) {
        if (!/^\d{1,15}$/.test(afterId))
          throw new BadEventIdError(`"${afterId}" is not an event id of this turn`);
        next = Number(afterId);
        if (next > e.events.length)
          throw new BadEventIdError(
            `event ${afterId} does not exist in this turn (it has ${e.events.length})`,
          );
      }
      return (async function* () {
        for (;;) {
          while (next < e.events.length) {
            if (signal.aborted) return;
            yield e.events[next++]!;
          }
          if (e.closed || signal.aborted) return;
          await new Promise<void>((resolve) => {
            const done = () => {
              signal.removeEventListener('abort', done);
              e.waiters.delete(done);
              resolve();
            };
            e.waiters.add(done);
            signal.addEventListener('abort', done, { once: true });
          });
        }
      })();
    },
  };
}
