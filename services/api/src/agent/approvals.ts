/**
 * Approvals: a tool call that changes data waits here until the same person approves or denies it
 * (POST /api/approvals/:id), the wait times out (= denied), or the turn is cancelled. Another person's
 * approval id does not exist for the caller.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { checkEdit, type ApprovalMeta } from './approval-policy.js';

export type Decision = 'approved' | 'denied' | 'timeout' | 'cancelled';

/** How an approval was settled: by whom (the person, for approved/denied) and when (ISO time). */
export type ApprovalOutcome =
  | {
      decision: 'approved' | 'denied';
      by: string;
      at: string;
      /** Approved with arguments the person edited (already checked against the tool's schema). */
      args?: Record<string, unknown>;
      /** Also allow this kind of change for the rest of the conversation (the offer's rule). */
      remember?: string;
    }
  | { decision: 'timeout' | 'cancelled'; at: string };

interface Pending {
  owner: string;
  meta?: ApprovalMeta;
  settle(o: ApprovalOutcome): void;
}

/** What the person sent with their decision (POST /api/approvals/:id). */
export interface DecisionInput {
  decision: 'approve' | 'deny';
  args?: Record<string, unknown>;
  remember?: boolean;
}

export interface Approvals {
  /** Registers a pending approval; `decision` settles once (decided, timed out, or `signal` aborted). */
  request(
    owner: string,
    signal: AbortSignal,
    meta?: ApprovalMeta,
  ): { approvalId: string; decision: Promise<ApprovalOutcome> };
  /** 'not_found' for an unknown id or another person's; `invalid` when the edit or `remember` does not fit. */
  decide(
    owner: string,
    approvalId: string,
    input: DecisionInput | 'approve' | 'deny',
  ): Promise<
    { result: 'ok'; rule?: string } | { result: 'not_found' } | { result: 'invalid'; message: string }
  >;
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
    request(owner, signal, meta) {
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
        pending.set(approvalId, { owner, settle, ...(meta ? { meta } : {}) });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      return { approvalId, decision };
    },
    async decide(owner, approvalId, input) {
      const d = typeof input === 'string' ? { decision: input } : input;
      const p = pending.get(approvalId);
      if (!p || p.owner !== owner) return { result: 'not_found' };
      if (d.decision === 'deny') {
        p.settle({ decision: 'denied', by: owner, at: now() });
        return { result: 'ok' };
      }
      let args: Record<string, unknown> | undefined;
      let rule: string | undefined;
      if (p.meta && (d.args || d.remember)) {
        const checked = await checkEdit(p.meta, d.args, d.remember);
        if (!checked.ok) return { result: 'invalid', message: checked.message };
        if (d.args) args = checked.args;
        if (d.remember) rule = p.meta.offer.remember?.rule;
      } else if (d.args || d.remember) {
        return { result: 'invalid', message: 'this approval takes no edited arguments' };
      }
      // Settled while the edit was checked (timed out, cancelled): it is gone.
      if (pending.get(approvalId) !== p) return { result: 'not_found' };
      p.settle({
        decision: 'approved',
        by: owner,
        at: now(),
        ...(args ? { args } : {}),
        ...(rule ? { remember: rule } : {}),
      });
      return { result: 'ok', ...(rule ? { rule } : {}) };
    },
  };
}

const now = () => new Date().toISOString();

const body = z
  .object({
    decision: z.enum(['approve', 'deny']),
    args: z.record(z.unknown()).optional(),
    remember: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.decision === 'approve' || (b.args === undefined && !b.remember), {
    message: 'args and remember go with {"decision": "approve"} only',
  });

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
        const refined = parsed.error.issues.find((i) => i.code === 'custom');
        return reply.status(400).send({
          error: 'invalid_request',
          message:
            refined?.message ??
            'the body must be {"decision": "approve" | "deny", "args"?: {…}, "remember"?: true|false}',
        });
      }
      const r = await approvals.decide(req.principal!.sub, req.params.id, parsed.data);
      if (r.result === 'not_found') {
        return reply.status(404).send({
          error: 'not_found',
          message: `no pending approval ${req.params.id} (it may have been decided or expired)`,
        });
      }
      if (r.result === 'invalid') {
        return reply.status(400).send({ error: 'invalid_request', message: r.message });
      }
      return {
        approvalId: req.params.id,
        decision: parsed.data.decision === 'approve' ? 'approved' : 'denied',
        ...(r.rule ? { rule: r.rule } : {}),
      };
    },
  );
}
