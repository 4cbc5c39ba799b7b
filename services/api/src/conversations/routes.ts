/**
 * Conversation routes: list (?q= search of titles and messages, newest first), pin, create, get (with
 * the turn still running in it), rename, delete, and POST …/messages which starts one agent turn
 * (turns/runner.ts) and answers its events as Server-Sent Events. Someone else's conversation answers
 * 404, exactly like one that does not exist.
 */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { API_ROUTES, apiPath, type ActiveTurn, type ConversationList } from '@msi/contracts/api';
import { bearerToken } from '../auth.js';
import type { McpGateway } from '../mcp-clients.js';
import { TurnConflictError, type TurnRunner } from '../turns/runner.js';
import { streamTurn } from '../turns/routes.js';
import type { TurnEventLog } from '../turns/events.js';
import type { TurnStore } from '../turns/store.js';
import type { ConversationStore } from './store.js';

export interface ConversationRouteOptions {
  preHandler: preHandlerHookHandler[];
  store: ConversationStore;
  mcp: McpGateway;
  runner: TurnRunner;
  turns: TurnStore;
  events: TurnEventLog;
  maxMessageChars: number;
}

const MAX_TITLE = 200;
const titleSchema = z
  .string({ required_error: 'title is required', invalid_type_error: 'title must be a string' })
  .trim()
  .min(1, 'title must not be empty')
  .max(MAX_TITLE, `title must be at most ${MAX_TITLE} characters`)
  .refine(wellFormed, 'title is not well-formed Unicode (half of a surrogate pair)')
  .refine(noNul, 'title must not contain NUL characters');

/** False for text with half of a surrogate pair (a cut emoji): SQLite would store bytes that read back as U+FFFD. */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** False for text with U+0000, which PostgreSQL's text cannot hold (SQLite would): refused on both alike. */
function noNul(s: string): boolean {
  return !s.includes('\u0000');
}

function invalid(reply: FastifyReply, error: z.ZodError) {
  const message = error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return reply.status(400).send({ error: 'invalid_request', message });
}

function notFound(reply: FastifyReply, id: string) {
  return reply.status(404).send({ error: 'not_found', message: `no conversation ${id}` });
}

export function registerConversationRoutes(app: FastifyInstance, opts: ConversationRouteOptions): void {
  const { store, preHandler, runner } = opts;
  const messageBody = z
    .object({
      content: z
        .string({ required_error: 'content is required', invalid_type_error: 'content must be a string' })
        .refine((s) => s.trim().length > 0, 'content must not be empty')
        .refine(wellFormed, 'content is not well-formed Unicode (half of a surrogate pair)')
        .refine(noNul, 'content must not contain NUL characters')
        .refine(
          (s) => s.length <= opts.maxMessageChars,
          (s) => ({ message: `content is ${s.length} characters; the limit is ${opts.maxMessageChars}` }),
        ),
    })
    .strict();

  app.get<{ Querystring: { q?: string } }>(
    API_ROUTES.conversations,
    { preHandler },
    async (req): Promise<ConversationList> => {
      const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, MAX_TITLE) : '';
      return { conversations: await store.list(req.principal!.sub, q || undefined) };
    },
  );

  app.post(API_ROUTES.conversations, { preHandler }, async (req, reply) => {
    const parsed = z
      .object({ title: titleSchema.optional() })
      .strict()
      .safeParse(req.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    return reply.status(201).send(await store.create(req.principal!.sub, parsed.data.title));
  });

  app.get<{ Params: { id: string } }>(API_ROUTES.conversation, { preHandler }, async (req, reply) => {
    const detail = await store.get(req.principal!.sub, req.params.id);
    if (!detail) return notFound(reply, req.params.id);
    const turn = await opts.turns.active(detail.id);
    if (!turn) return detail;
    const { approval } = turn.checkpoint;
    const activeTurn: ActiveTurn = {
      id: turn.id,
      status: 'running',
      startedAt: turn.startedAt,
      ...(approval ? { approval } : {}),
    };
    return { ...detail, activeTurn };
  });

  app.patch<{ Params: { id: string } }>(API_ROUTES.conversation, { preHandler }, async (req, reply) => {
    const parsed = z
      .object({
        title: titleSchema.optional(),
        pinned: z.boolean({ invalid_type_error: 'pinned must be true or false' }).optional(),
      })
      .strict()
      .refine((b) => b.title !== undefined || b.pinned !== undefined, 'give title, pinned or both')
      .safeParse(req.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const { sub } = req.principal!;
    const { title, pinned } = parsed.data;
    if (pinned !== undefined && !(await store.pin(sub, req.params.id, pinned))) {
      return notFound(reply, req.params.id);
    }
    const out =
      title !== undefined
        ? await store.rename(sub, req.params.id, title)
        : await store.summary(sub, req.params.id);
    return out ?? notFound(reply, req.params.id);
  });

  app.delete<{ Params: { id: string } }>(API_ROUTES.conversation, { preHandler }, async (req, reply) => {
    if (!(await store.remove(req.principal!.sub, req.params.id))) return notFound(reply, req.params.id);
    // A turn still running in it stops: nothing it waits to do (a change awaiting approval) is done.
    await runner.cancelConversation(req.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string } }>(API_ROUTES.messages, { preHandler }, async (req, reply) => {
    const principal = req.principal!;
    const conversationId = req.params.id;
    if (!(await store.summary(principal.sub, conversationId))) return notFound(reply, conversationId);
    const parsed = messageBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const tooLong = parsed.error.issues.some((i) => i.message.includes('the limit is'));
      if (tooLong) {
        return reply
          .status(413)
          .send({ error: 'payload_too_large', message: parsed.error.issues[0]!.message });
      }
      return invalid(reply, parsed.error);
    }
    let turn;
    try {
      turn = await runner.start(
        principal,
        conversationId,
        parsed.data.content,
        opts.mcp.session(principal, bearerToken(req)),
      );
    } catch (err) {
      if (!(err instanceof TurnConflictError)) throw err;
      return reply.status(409).send({ error: 'conflict', message: err.message });
    }
    // Reads the turn from its first event; hanging up stops the reading, not the turn.
    void reply.header('location', apiPath(API_ROUTES.turnEvents, { id: turn.id }));
    return streamTurn(reply, opts.events, turn, undefined);
  });
}
