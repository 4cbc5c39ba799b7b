/**
 * A turn's events, read again (GET /api/turns/:id/events, `Last-Event-ID` to resume after an event), and
 * Stop (POST /api/turns/:id/stop). Another person's turn answers 404, exactly like one that does not exist.
 */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { API_ROUTES, type StreamEventName, type TurnStopResult } from '@msi/contracts/api';
import { openSse } from '../sse.js';
import { BadEventIdError, type TurnEventLog } from './events.js';
import { INTERRUPTED_MESSAGE, type TurnRunner } from './runner.js';
import type { TurnRecord, TurnStore } from './store.js';

export interface TurnRouteOptions {
  preHandler: preHandlerHookHandler[];
  turns: TurnStore;
  events: TurnEventLog;
  runner: TurnRunner;
}

/**
 * Streams a turn's events after `afterId` to the end of the turn (or until the client goes away, which
 * leaves the turn running). A turn whose events are no longer kept gets the event that ended it.
 */
export async function streamTurn(
  reply: FastifyReply,
  events: TurnEventLog,
  turn: TurnRecord,
  afterId: string | undefined,
): Promise<void | FastifyReply> {
  const ac = new AbortController();
  let source: AsyncIterable<{ id: string; event: StreamEventName; data: unknown }> | undefined;
  try {
    source = await events.read(turn.id, afterId, ac.signal);
  } catch (err) {
    if (err instanceof BadEventIdError)
      return reply.status(400).send({ error: 'invalid_request', message: `Last-Event-ID: ${err.message}` });
    throw err;
  }
  if (!source && turn.status === 'running')
    return reply.status(503).send({
      error: 'unavailable',
      message: 'the events of this turn are not available on this instance; try again',
    });
  const sse = openSse(reply);
  sse.signal.addEventListener('abort', () => ac.abort(), { once: true });
  if (!source) {
    // Its events are gone (kept for a while after the end, and not across a restart): how it ended.
    if (turn.status === 'complete') sse.send('done', { messageId: turn.messageId ?? '' });
    else if (turn.status === 'cancelled') sse.send('cancelled', { messageId: turn.messageId ?? '' });
    else if (turn.status === 'interrupted')
      sse.send('error', { error: 'interrupted', message: INTERRUPTED_MESSAGE });
    else
      sse.send('error', {
        error: 'turn_failed',
        message: 'the turn failed; its answer in the conversation says why',
      });
    sse.end();
    return;
  }
  try {
    for await (const e of source) sse.send(e.event, e.data as never, e.id);
  } finally {
    sse.end();
  }
}

function notFound(reply: FastifyReply, id: string) {
  return reply.status(404).send({ error: 'not_found', message: `no turn ${id}` });
}

export function registerTurnRoutes(app: FastifyInstance, opts: TurnRouteOptions): void {
  const { preHandler, turns, events, runner } = opts;

  app.get<{ Params: { id: string } }>(API_ROUTES.turnEvents, { preHandler }, async (req, reply) => {
    const turn = await turns.get(req.principal!.sub, req.params.id);
    if (!turn) return notFound(reply, req.params.id);
    const header = req.headers['last-event-id'];
    const after = typeof header === 'string' && header.trim() ? header.trim() : undefined;
    return streamTurn(reply, events, turn, after);
  });

  app.post<{ Params: { id: string } }>(API_ROUTES.turnStop, { preHandler }, async (req, reply) => {
    const turn = await turns.get(req.principal!.sub, req.params.id);
    if (!turn) return notFound(reply, req.params.id);
    if (turn.status !== 'running')
      return reply.status(200).send({ turnId: turn.id, status: turn.status } satisfies TurnStopResult);
    if (!(await runner.stop(turn.id))) {
      // It may have ended between the read and now.
      const now = await turns.get(req.principal!.sub, turn.id);
      if (now && now.status !== 'running')
        return reply.status(200).send({ turnId: now.id, status: now.status } satisfies TurnStopResult);
      return reply.status(409).send({
        error: 'conflict',
        message: 'no instance answers for this turn now; try again in a few seconds',
      });
    }
    return reply.status(202).send({ turnId: turn.id, status: 'running' } satisfies TurnStopResult);
  });
}
