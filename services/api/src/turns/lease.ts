/**
 * Leases of running turns in Redis (`REDIS_URL`): the instance running a turn holds `turn:<id>:lease`
 * (its instance id, TTL `ttlMs`) and `conversation:<id>:turn` (the turn, so that a second message to the
 * conversation on any instance is a conflict), and renews both every `renewEveryMs`. An instance that dies
 * stops renewing; the keys expire, and another instance that finds a running turn without a lease claims
 * it (SET NX, so exactly one does) to write it as interrupted.
 *
 * Why Redis rather than a column of the turns table: the expiry is Redis's own clock (instances need not
 * agree on the time), renewing is one round trip per instance per second for all its turns rather than a
 * database write per turn per second, and a lease only matters when several instances share the turns —
 * which is when REDIS_URL is set for their event streams anyway.
 */
import type { Logger, SharedRedis } from '@msi/kit';

export interface TurnLeases {
  /** Takes the turn's lease and its conversation's; false when the conversation runs a turn (anywhere). */
  acquire(turnId: string, conversationId: string): Promise<boolean>;
  /** Gives both back (the turn ended here). */
  release(turnId: string, conversationId: string): Promise<void>;
  /** The turn running in the conversation (on any instance), if any. */
  turnOf(conversationId: string): Promise<string | undefined>;
  /** The instance holding the turn's lease, if any. */
  holder(turnId: string): Promise<string | undefined>;
  /** Of these running turns, the ones nobody holds, each now claimed by this instance to recover it. */
  claimOrphans(turnIds: string[]): Promise<string[]>;
  /** Ends renewing. */
  close(): void;
}

export interface LeaseOptions {
  redis: SharedRedis;
  instanceId: string;
  log: Logger;
  ttlMs?: number;
  renewEveryMs?: number;
  /** A lease this instance held was lost (it expired while the process could not renew it). */
  onLost(turnId: string): void;
}

// Renews the turn's lease and its conversation's when this instance still holds the turn's.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0`;

// Deletes a key only when it still holds the value given.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createTurnLeases(opts: LeaseOptions): TurnLeases {
  const { redis, instanceId, log } = opts;
  const client = redis.client;
  const ttlMs = opts.ttlMs ?? 5000;
  const renewEveryMs = opts.renewEveryMs ?? 1000;
  const leaseKey = (turnId: string) => redis.key('turn', turnId, 'lease');
  const convKey = (conversationId: string) => redis.key('conversation', conversationId, 'turn');
  /** turn id → conversation id, of the turns this instance holds. */
  const held = new Map<string, string>();

  const timer = setInterval(() => {
    if (!held.size) return;
    const turns = [...held];
    const p = client.pipeline();
    for (const [t, c] of turns) p.eval(RENEW, 2, leaseKey(t), convKey(c), instanceId, String(ttlMs));
    p.exec()
      .then((results) => {
        results?.forEach(([err, kept], i) => {
          const [turnId] = turns[i]!;
          if (err || kept === 1 || !held.has(turnId)) return;
          held.delete(turnId);
          log.warn({ turnId }, 'the lease of a running turn was lost; it is stopped here');
          opts.onLost(turnId);
        });
      })
      // Redis away: nothing renews; when it is back, a lease that expired meanwhile is lost (above).
      .catch((err: Error) => log.warn({ err: err.message }, 'turn leases not renewed'));
  }, renewEveryMs);
  timer.unref();

  // Redis away: the person's request answers 503 naming it (the kit's unavailable error).
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw redis.unavailable(err);
    }
  };

  return {
    async acquire(turnId, conversationId) {
      const [[, conv], [, lease]] = ((await guard(
        client
          .multi()
          .set(convKey(conversationId), turnId, 'PX', ttlMs, 'NX')
          .set(leaseKey(turnId), instanceId, 'PX', ttlMs, 'NX')
          .exec(),
      )) ?? []) as [[unknown, unknown], [unknown, unknown]];
      if (conv !== 'OK') {
        await client.del(leaseKey(turnId));
        return false;
      }
      if (lease !== 'OK') throw new Error(`turn ${turnId} already has a lease`);
      held.set(turnId, conversationId);
      return true;
    },
    async release(turnId, conversationId) {
      held.delete(turnId);
      await client
        .pipeline()
        .eval(RELEASE, 1, leaseKey(turnId), instanceId)
        .eval(RELEASE, 1, convKey(conversationId), turnId)
        .exec();
    },
    async turnOf(conversationId) {
      return (await guard(client.get(convKey(conversationId)))) ?? undefined;
    },
    async holder(turnId) {
      return (await guard(client.get(leaseKey(turnId)))) ?? undefined;
    },
    async claimOrphans(turnIds) {
      if (!turnIds.length) return [];
      const p = client.pipeline();
      // Long enough to write the turn down; a claimer that dies meanwhile leaves it to the next one.
      for (const t of turnIds) p.set(leaseKey(t), `recovering:${instanceId}`, 'PX', 30_000, 'NX');
      const results = (await p.exec()) ?? [];
      return turnIds.filter((_, i) => results[i]?.[1] === 'OK');
    },
    close() {
      clearInterval(timer);
    },
  };
}
