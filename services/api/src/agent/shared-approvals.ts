/**
 * Approvals across API instances (`REDIS_URL`): the turn waits on the instance running it (the local
 * `Approvals`, which alone settles it, so a decision counts once), and each pending approval is also
 * stored in Redis — whose it is, its meta (the call, its schema, the offer) and the instance that waits
 * on it — for as long as it may wait. A decision sent to any other instance is checked there against
 * that record (another person's id, or one that is not pending, is "not found", as on one instance) and
 * handed over the instance bus to the one that waits, whose answer it relays.
 */
import type { Logger, SharedRedis } from '@msi/kit';
import type { InstanceBus } from '../turns/bus.js';
import type { ApprovalMeta } from './approval-policy.js';
import type { Approvals, DecisionInput } from './approvals.js';

interface Stored {
  owner: string;
  instance: string;
  meta?: ApprovalMeta;
}

type DecideResult = Awaited<ReturnType<Approvals['decide']>>;

const DECIDE = 'approval.decide';

/**
 * `local` must be created with `onSettled` calling the returned `settled` (the record goes when the
 * approval is settled, however that happens).
 */
export function createSharedApprovals(opts: {
  local: Approvals;
  redis: SharedRedis;
  bus: InstanceBus;
  timeoutMs: number;
  log: Logger;
}): Approvals & { settled(approvalId: string): void } {
  const { local, redis, bus, log } = opts;
  const key = (id: string) => redis.key('approval', id);

  bus.handle(DECIDE, async (body) => {
    const b = body as { owner: string; approvalId: string; input: DecisionInput };
    return local.decide(b.owner, b.approvalId, b.input);
  });

  return {
    get pending() {
      return local.pending;
    },
    request(owner, signal, meta) {
      const r = local.request(owner, signal, meta);
      const stored: Stored = { owner, instance: bus.instanceId, ...(meta ? { meta } : {}) };
      // Sent before the turn emits approval.required (same connection, so stored before anyone sees it).
      redis.client
        .set(key(r.approvalId), JSON.stringify(stored), 'PX', opts.timeoutMs + 60_000)
        .catch((err: Error) => log.warn({ err: err.message }, 'pending approval not stored in Redis'));
      return r;
    },
    async decide(owner, approvalId, input): Promise<DecideResult> {
      const here = await local.decide(owner, approvalId, input);
      if (here.result !== 'not_found') return here;
      let raw: string | null;
      try {
        raw = await redis.client.get(key(approvalId));
      } catch (err) {
        throw redis.unavailable(err);
      }
      const stored = raw ? (JSON.parse(raw) as Stored) : undefined;
      // Another person's approval does not exist for the caller; one waiting here was answered above.
      if (!stored || stored.owner !== owner || stored.instance === bus.instanceId)
        return { result: 'not_found' };
      const input_ = typeof input === 'string' ? { decision: input } : input;
      const there = await bus.call<DecideResult>(stored.instance, DECIDE, {
        owner,
        approvalId,
        input: input_,
      });
      // The instance that waited is gone (its turn is being written as interrupted) or did not answer.
      return there ?? { result: 'not_found' };
    },
    settled(approvalId) {
      redis.client
        .del(key(approvalId))
        .catch((err: Error) => log.warn({ err: err.message }, 'settled approval not removed from Redis'));
    },
  };
}
