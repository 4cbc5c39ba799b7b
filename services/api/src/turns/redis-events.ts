/**
 * A turn's events in a Redis Stream (`REDIS_URL`), one stream per turn, so that every API instance reads
 * what the instance running the turn writes: a reconnect with `Last-Event-ID` may land on any of them.
 *
 * - Writing: XADD per event (`MAXLEN ~` caps a runaway turn), on the shared command connection, so the
 *   events of one turn are stored in the order they were emitted without the runner awaiting each one.
 *   `open` writes a marker entry (never shown to readers) and gives the stream a long expiry (a turn
 *   nobody closed still goes away); `close` writes an end marker and shortens it to `retainMs`.
 * - Ids are Redis's entry ids ("1733100000000-3"): increasing within the stream, opaque to clients. An id
 *   that is not an entry of this turn's stream (another turn's, or made up) is a BadEventIdError.
 * - Reading: XRANGE from the reader's id (exclusive) until caught up, then XREAD BLOCK on a connection of
 *   its own (`blocking()`), borrowed from a small pool, so one reader waiting never delays the commands
 *   of the others; it ends at the end marker.
 */
import type { SharedRedis } from '@msi/kit';
import type { Redis } from 'ioredis';
import type { StreamEventName, StreamEvents } from '@msi/contracts/api';
import type { Logger } from '@msi/kit';
import { BadEventIdError, type TurnEvent, type TurnEventLog } from './events.js';

export interface RedisEventLogOptions {
  redis: SharedRedis;
  log: Logger;
  /** How long a closed turn's events stay readable (ms). */
  retainMs?: number;
  /** Longest a stream may stay open (a turn whose instance died and that nobody ended) (ms). */
  openMaxMs?: number;
  /** Approximate cap on a turn's events (MAXLEN ~). */
  maxEvents?: number;
  /** Longest one XREAD BLOCK waits before the reader checks that it is still wanted (ms). */
  blockMs?: number;
}

/** Field names of a stream entry: the event's name and its JSON data, or a marker. */
const F_EVENT = 'e';
const F_DATA = 'd';
const F_MARK = 'm';
const OPEN = 'open';
const END = 'end';
const ID = /^\d{1,20}-\d{1,20}$/;

type Entry = [id: string, fields: string[]];

export function createRedisEventLog(opts: RedisEventLogOptions): TurnEventLog {
  const { redis, log } = opts;
  const client = redis.client;
  const retainMs = opts.retainMs ?? 10 * 60_000;
  const openMaxMs = opts.openMaxMs ?? 24 * 3600_000;
  const maxEvents = opts.maxEvents ?? 20_000;
  const blockMs = opts.blockMs ?? 5_000;
  const key = (turnId: string) => redis.key('turn', turnId, 'events');
  const failed = (what: string, turnId: string) => (err: Error) =>
    log.warn({ err: err.message, turnId }, `turn events: ${what} failed in Redis`);

  // Blocking connections, reused: a reader borrows one per XREAD BLOCK.
  const idle: Redis[] = [];
  let made = 0;
  const borrow = () => idle.pop() ?? redis.blocking(`turn-events-${++made}`);
  const giveBack = (c: Redis) => {
    if (idle.length < 8) idle.push(c);
    else c.disconnect();
  };

  const add = (turnId: string, fields: string[]) =>
    client.xadd(key(turnId), 'MAXLEN', '~', String(maxEvents), '*', ...fields);

  function decode(turnId: string, [id, fields]: Entry): TurnEvent | 'end' | undefined {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    if (f[F_MARK] === END) return 'end';
    if (f[F_MARK] !== undefined || f[F_EVENT] === undefined) return undefined;
    try {
      return { id, event: f[F_EVENT] as StreamEventName, data: JSON.parse(f[F_DATA] ?? 'null') as never };
    } catch {
      log.warn({ turnId, id }, 'turn events: an entry is not JSON; skipped');
      return undefined;
    }
  }

  return {
    open(turnId) {
      void client
        .multi()
        .xadd(key(turnId), 'MAXLEN', '~', String(maxEvents), '*', F_MARK, OPEN)
        .pexpire(key(turnId), openMaxMs)
        .exec()
        .catch(failed('open', turnId));
    },
    append(turnId, event, data) {
      add(turnId, [F_EVENT, event, F_DATA, JSON.stringify(data)]).catch(failed('append', turnId));
    },
    close(turnId) {
      void client
        .multi()
        .xadd(key(turnId), 'MAXLEN', '~', String(maxEvents), '*', F_MARK, END)
        .pexpire(key(turnId), retainMs)
        .exec()
        .catch(failed('close', turnId));
    },
    async end<K extends StreamEventName>(turnId: string, event: K, data: StreamEvents[K]) {
      const last = (await client.xrevrange(key(turnId), '+', '-', 'COUNT', 1)) as Entry[];
      if (!last.length || decode(turnId, last[0]!) === 'end') return false;
      this.append(turnId, event, data);
      this.close(turnId);
      return true;
    },
    async read(turnId, afterId, signal) {
      const k = key(turnId);
      if (afterId !== undefined && !ID.test(afterId))
        throw new BadEventIdError(`"${afterId}" is not an event id of this turn`);
      let exists: number;
      let at: unknown[] = [];
      try {
        [exists, at] = await Promise.all([
          client.exists(k),
          afterId === undefined ? Promise.resolve([]) : client.xrange(k, afterId, afterId, 'COUNT', 1),
        ]);
      } catch (err) {
        throw redis.unavailable(err);
      }
      if (!exists) return undefined;
      if (afterId !== undefined && !at.length)
        throw new BadEventIdError(`event ${afterId} does not exist in this turn (or is no longer kept)`);

      let cursor = afterId ?? '-';
      return (async function* (): AsyncGenerator<TurnEvent> {
        // Catch up with what is stored, a batch at a time.
        for (;;) {
          const start = cursor === '-' ? '-' : `(${cursor}`;
          const batch = (await client.xrange(k, start, '+', 'COUNT', 500)) as Entry[];
          for (const entry of batch) {
            if (signal.aborted) return;
            cursor = entry[0];
            const e = decode(turnId, entry);
            if (e === 'end') return;
            if (e) yield e;
          }
          if (batch.length < 500) break;
        }
        if (cursor === '-') cursor = '0-0';
        // Then wait for the new ones.
        while (!signal.aborted) {
          const conn = borrow();
          const read = conn.xread('BLOCK', blockMs, 'STREAMS', k, cursor) as Promise<
            [string, Entry[]][] | null
          >;
          let onAbort: (() => void) | undefined;
          const aborted = new Promise<'aborted'>((resolve) => {
            onAbort = () => resolve('aborted');
            signal.addEventListener('abort', onAbort, { once: true });
          });
          const got = await Promise.race([read, aborted]).finally(() =>
            signal.removeEventListener('abort', onAbort!),
          );
          // The connection goes back once its XREAD answers (at most blockMs after an abort).
          void read.then(
            () => giveBack(conn),
            () => conn.disconnect(),
          );
          if (got === 'aborted') return;
          if (!got) {
            // Nothing new for blockMs: a stream that expired (its turn was never ended) ends the reading.
            if (!(await client.exists(k))) return;
            continue;
          }
          for (const entry of got[0]?.[1] ?? []) {
            cursor = entry[0];
            const e = decode(turnId, entry);
            if (e === 'end') return;
            if (e) yield e;
          }
        }
      })();
    },
  };
}
