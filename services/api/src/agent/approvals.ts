/**
 * Approvals: a tool call that changes data waits here until the same person approves or denies it
 * (POST /api/approvals/:id), the wait times out (= denied), or the turn is cancelled. Another person's
 * approval id does not exist for the caller.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';

export type Decision = 'approved' | 'denied' | 'timeout' | 'cancelled';

/** How an approval was settled: by whom (the person, for approved/denied) and when (ISO time). */
export type ApprovalOutcome =
  | { decision: 'approved' | 'denied'; by: string; at: string }
  | { decision: 'timeout' | 'cancelled'; at: string };

interface Pending {
  owner: string;
  settle(o: ApprovalOutcome): void;
}

export interface Approvals {
  /** Registers a pending approval; `decision` settles once (decided, timed out, or `signal` aborted). */
  request(owner: string, signal: AbortSignal): { approvalId: string; decision: Promise<ApprovalOutcome> };
  /** 'not_found' for an unknown id or another person's. */
  decide(owner: string, approvalId: string, decision: 'approve' | 'deny'): 'ok' | 'not_found';
  readonly pending: number;
}

export function createApprovals(opts: {
  timeoutMs: number;
  onSettled?: (id: string, d: Decision) => void;
}): Approvals {
  const pending = new Map<string, Pending>();
  return {
    get pending() {
      return pending.size;
    },
    request(owner, signal) {
      const approvalId = randomUUID();
      const decision = new Promise<ApprovalOutcome>((resolve) => {
        const timer = setTimeout(() => settle({ decision: 'timeout', at: now() }), opts.timeoutMs);
        const onAbort = () => settle({ decision: 'cancelled', at: now() });
        function settle(o: ApprovalOutcome) {
          if (!pending.delete(approvalId)) return;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          opts.onSettled?.(approvalId, o.decision);
          resolve(o);
        }
        pending.set(approvalId, { owner, settle });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      return { approvalId, decision };
    },
    decide(owner, approvalId, decision) {
      const p = pending.get(approvalId);
      if (!p || p.owner !== owner) return 'not_found';
      p.settle({ decision: decision === 'approve' ? 'approved' : 'denied', by: owner, at: now() });
      return 'ok';
    },
  };
}

const now = () => new Date().toISOString();

const body = z.object({ decision: z.enum(['approve', 'deny']) }).strict();

export function registerApprovalRoutes(
  app: FastifyInstance,
  approvals: Approvals,
  opts: { preHandler: preHandlerHookHandler | preHandlerHookHandler[] },
): void {
  app.post<{ Params: { id: string } }>(
    '/api/approvals/:id',
    { preHandler: opts.preHandler },
    async (req, reply) => {
      const parsed = body.safeParse(req.body);
      if (!parsed.success) {
        return reply.status(400).send({
          error: 'invalid_request',
          message: 'the body must be {"decision": "approve"} or {"decision": "deny"}',
        });
      }
      if (approvals.decide(req.principal!.sub, req.params.id, parsed.data.decision) === 'not_found') {
        return reply.status(404).send({
          error: 'not_found',
          message: `no pending approval ${req.params.id} (it may have been decided or expired)`,
        });
      }
      return {
        approvalId: req.params.id,
        decision: parsed.data.decision === 'approve' ? 'approved' : 'denied',
      };
    },
  );
}
