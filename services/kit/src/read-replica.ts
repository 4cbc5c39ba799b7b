/**
 * Reads on a PostgreSQL streaming replica (`DATABASE_READ_URL`, docs/postgresql.md), for the queries a
 * service marks as allowed to be a moment stale: searches, lists, stats. Everything else stays on the
 * primary: every write, every transaction, and the reads of a person who has just written.
 *
 * Read-your-own-writes is decided by WAL position, not by a time window: when a person's write commits,
 * the primary's `pg_current_wal_lsn()` (at or past that commit) is noted for them; their reads go to the
 * primary until the replica's `pg_last_wal_replay_lsn()` has reached it, then to the replica again. A
 * fixed "sticky" window would be wrong exactly when it matters (a replica lagging longer than the window
 * serves the person their old data) and needlessly long otherwise; the LSN is the replica's own word.
 * While someone waits, the replica's replay position is polled (one tiny query every POLL_MS); with
 * nobody waiting nothing is polled. What is noted lives in this process: several instances behind a
 * load balancer each know only their own writers (docs/postgresql.md says so).
 *
 * A replica that does not answer is never an error for the person: the read runs on the primary (a
 * warning is logged once per outage), the replica is tried again after DOWN_MS, then less and less often
 * (up to DOWN_MAX_MS) while it stays away.
 */
import type { Pool, PoolClient, QueryResult } from 'pg';
import { isUnavailable } from './database-errors.js';
import type { Logger } from './log.js';

/** How often the replica's replay position is read while someone's reads wait for it. */
const POLL_MS = 20;
/** How long a replica that failed is left alone before it is tried again: doubling while it stays away. */
const DOWN_MS = 2_000;
const DOWN_MAX_MS = 30_000;
/** A write whose WAL position could not be read keeps its writer on the primary this long. */
const UNKNOWN_LSN_MS = 60_000;
/** At most this many writers are remembered (the oldest are dropped: they read from the primary meanwhile). */
const MAX_WRITERS = 10_000;

/** `16/B374D848` → a number comparable across positions. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text.trim());
  if (!m) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

/** The pg Pool subset Kysely's PostgresDialect needs. */
export interface RoutingPool {
  connect(): Promise<PoolClient>;
  end(): Promise<void>;
}

export interface ReadReplica {
  /** A pool for Kysely: replica connections, or the primary's while the replica does not answer. */
  readonly pool: RoutingPool;
  /** True while `who` has a write the replica has not replayed yet (their reads go to the primary). */
  waitingFor(who: string): boolean;
  /** `who`'s write just committed on the primary. */
  wrote(who: string): void;
  close(): Promise<void>;
}

interface Writer {
  /** The primary's WAL position after the write; undefined until read. */
  lsn?: bigint;
  at: number;
}

export function readReplica(opts: {
  primary: Pool;
  replica: Pool;
  /** "the ticketing database" */
  label: string;
  /** The replica's URL as logs show it (password masked). */
  shown: string;
  log?: Logger | undefined;
}): ReadReplica {
  const { primary, replica, label, shown, log } = opts;
  const writers = new Map<string, Writer>();
  let downUntil = 0;
  let down = false;
  let backoff = DOWN_MS;
  let polling: NodeJS.Timeout | undefined;
  let closed = false;

  const markDown = (err: unknown) => {
    // A replica that blackholes connections costs a read its connect timeout at each retry: retry less often.
    // (Reads that failed together count once: only a retry after the pause doubles it.)
    if (!down) backoff = DOWN_MS;
    else if (Date.now() >= downUntil) backoff = Math.min(backoff * 2, DOWN_MAX_MS);
    downUntil = Date.now() + backoff;
    if (!down) {
      down = true;
      log?.warn(
        { err: (err as Error).message },
        `${label}: the read replica at ${shown} does not answer; reads go to the primary`,
      );
    }
  };
  const markUp = () => {
    if (down) {
      down = false;
      log?.info(`${label}: the read replica at ${shown} answers again; reads go to it`);
    }
  };

  /** A replica client whose query, if the replica goes away under it, runs on the primary instead. */
  const fallingBack = (client: PoolClient): PoolClient => {
    let fallback: PoolClient | undefined;
    let broken = false;
    const query = async (text: unknown, params?: unknown) => {
      if (fallback || typeof text !== 'string') {
        return (fallback ?? client).query(text as string, params as unknown[]);
      }
      try {
        const r: QueryResult = await client.query(text, params as unknown[]);
        markUp();
        return r;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        broken = true;
        markDown(err);
        fallback = await primary.connect();
        return fallback.query(text, params as unknown[]);
      }
    };
    return new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'query') return query;
        if (prop === 'release') {
          return () => {
            target.release(broken || undefined);
            fallback?.release();
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
  };

  const pool: RoutingPool = {
    async connect() {
      if (Date.now() >= downUntil) {
        try {
          return fallingBack(await replica.connect());
        } catch (err) {
          if (!isUnavailable(err)) throw err;
          markDown(err);
        }
      }
      return primary.connect();
    },
    end: async () => undefined, // close() ends the replica's pool; the primary's is the store's
  };

  /** Reads the replica's replay position and lets go of every writer it has reached. */
  const poll = async () => {
    if (Date.now() < downUntil) return;
    let replayed: bigint | 'primary';
    try {
      const r = await replica.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
      markUp();
      // NULL: the server is not in recovery, i.e. not a replica but a primary itself: nothing to wait for.
      replayed = r.rows[0]?.lsn ? parseLsn(r.rows[0].lsn) : 'primary';
    } catch (err) {
      if (isUnavailable(err)) markDown(err);
      else log?.warn({ err: (err as Error).message }, `${label}: reading the replica's position failed`);
      return;
    }
    const now = Date.now();
    for (const [who, w] of writers) {
      if (w.lsn === undefined ? now - w.at > UNKNOWN_LSN_MS : replayed === 'primary' || replayed >= w.lsn) {
        writers.delete(who);
      }
    }
  };
  const schedule = () => {
    if (polling || closed || writers.size === 0) return;
    polling = setTimeout(() => {
      void poll().finally(() => {
        polling = undefined;
        schedule();
      });
    }, POLL_MS);
    polling.unref();
  };

  return {
    pool,
    waitingFor: (who) => writers.has(who),
    wrote(who) {
      // Noted at once, before the position is known: a read right after the write must not go ahead of it.
      const w: Writer = { at: Date.now() };
      writers.delete(who);
      writers.set(who, w);
      if (writers.size > MAX_WRITERS) writers.delete(writers.keys().next().value!);
      primary
        .query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
        .then((r) => {
          w.lsn = parseLsn(r.rows[0]!.lsn);
        })
        .catch(() => undefined) // the primary went away: the writer stays on it until UNKNOWN_LSN_MS
        .finally(schedule);
    },
    async close() {
      closed = true;
      if (polling) clearTimeout(polling);
      await Promise.race([
        replica.end().catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000).unref()),
      ]);
    },
  };
}
