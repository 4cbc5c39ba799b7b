/**
 * POST /api/tools/:server/:name {conversationId?, arguments}: runs one named tool for the signed-in person,
 * because they clicked it themselves (Assign, Status, Comment… in the ticket panel). The same MCP tool the
 * agent would call, over the person's own session (their exchanged token, never widened), and only a tool
 * their GET /api/tools lists. The arguments are checked against the tool's input schema first. With a
 * conversation the call is recorded there as a tool call of an answer; the click is the decision, so there
 * is no second approval.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { API_ROUTES, type ApiError, type ToolCall, type ToolRunResult } from '@msi/contracts/api';
import { bearerToken } from './auth.js';
import type { ConversationStore } from './conversations/store.js';
import type { McpGateway } from './mcp-clients.js';
import { sharedValidator } from './mcp-validators.js';
import { createToolbox, type AgentTool, type DocumentSearch } from './tools.js';

/** The arguments of one click are small: a comment of 10 000 characters fits many times. */
export const MAX_ARGUMENT_BYTES = 64 * 1024;

const body = z
  .object({
    conversationId: z
      .string({ invalid_type_error: 'conversationId must be a string' })
      .min(1, 'conversationId must not be empty')
      .max(100, 'conversationId is too long')
      .optional(),
    arguments: z.record(z.unknown(), {
      required_error: 'arguments is required (an object, {} for none)',
      invalid_type_error: 'arguments must be an object',
    }),
  })
  .strict();

/** Ajv is loaded with the first run (the MCP client SDK brings it); each tool's schema compiles once. */
let validator: Promise<jsonSchemaValidator> | undefined;
const loadValidator = () =>
  (validator ??= import('@modelcontextprotocol/sdk/validation/ajv').then(({ AjvJsonSchemaValidator }) =>
    sharedValidator(new AjvJsonSchemaValidator()),
  ));

const send = (reply: FastifyReply, status: number, error: ApiError['error'], message: string) =>
  reply.status(status).send({ error, message } satisfies ApiError);

/** "ticket TCK-9 not found", "organization "x" not found": what the person cannot see does not exist. */
const NOT_FOUND = /\bnot found\b/i;

/** One sentence for the conversation: what the person did, in words. */
export function describeRun(tool: AgentTool, args: Record<string, unknown>, ok: boolean): string {
  const subject = [args.number, args.organization].find((v) => typeof v === 'string') as string | undefined;
  const changes = Object.entries(args)
    .filter(([k]) => !['number', 'organization', 'body', 'resolution'].includes(k))
    .map(([k, v]) => `${k} → ${v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v)}`);
  const what = `${tool.title}${subject ? ` ${subject}` : ''}${changes.length ? ` (${changes.join(', ')})` : ''}`;
  return ok ? `You ran **${what}** yourself.` : `You tried **${what}** yourself; it failed.`;
}

export function registerToolRunRoutes(
  app: FastifyInstance,
  opts: {
    preHandler: preHandlerHookHandler[];
    mcp: McpGateway;
    docs: DocumentSearch;
    store: ConversationStore;
  },
): void {
  app.post<{ Params: { server: string; name: string } }>(
    API_ROUTES.toolRun,
    { preHandler: opts.preHandler },
    async (req, reply) => {
      const principal = req.principal!;
      const { server, name } = req.params;
      const parsed = body.safeParse(req.body ?? {});
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
          .join('; ');
        return send(reply, 400, 'invalid_request', message);
      }
      const { conversationId, arguments: args } = parsed.data;
      if (Buffer.byteLength(JSON.stringify(args)) > MAX_ARGUMENT_BYTES) {
        return send(reply, 413, 'payload_too_large', `arguments must be at most ${MAX_ARGUMENT_BYTES} bytes`);
      }
      if (conversationId && !(await opts.store.summary(principal.sub, conversationId))) {
        return send(reply, 404, 'not_found', `no conversation ${conversationId}`);
      }

      const session = opts.mcp.session(principal, bearerToken(req));
      try {
        const toolbox = createToolbox(session, opts.docs);
        const tool = await toolbox.find(name);
        if (!tool || tool.server !== server) {
          const down = session.unavailable().find((d) => d.server === server);
          if (down) return send(reply, 503, 'service_unavailable', down.message);
          return send(reply, 404, 'not_found', `there is no tool ${server}/${name} for you`);
        }
        const check = (await loadValidator()).getValidator<Record<string, unknown>>(
          tool.inputSchema as Parameters<jsonSchemaValidator['getValidator']>[0],
        )(args);
        if (!check.valid) {
          return send(
            reply,
            400,
            'invalid_request',
            `arguments of ${name}: ${check.errorMessage ?? 'do not match its input schema'}`,
          );
        }

        const started = performance.now();
        const outcome = await toolbox.run(tool, args);
        const call: ToolCall = {
          callId: randomUUID(),
          server: tool.server,
          tool: tool.name,
          args,
          ok: outcome.ok,
          ...(outcome.ok ? { result: outcome.result } : { error: outcome.error ?? `${name} failed` }),
          ms: Math.round(performance.now() - started),
        };
        req.log.info(
          { tool: name, server, ok: outcome.ok, user: principal.username, ms: call.ms },
          'tool run by the person',
        );
        const message = conversationId
          ? await opts.store.saveAssistantMessage(conversationId, {
              content: describeRun(tool, args, outcome.ok),
              status: outcome.ok ? 'complete' : 'error',
              toolCalls: [call],
              citations: [],
              ...(outcome.ok ? {} : { error: { error: 'tool_error', message: call.error! } }),
            })
          : undefined;
        if (!outcome.ok) {
          const error = call.error!;
          if (NOT_FOUND.test(error)) return send(reply, 404, 'not_found', error);
          if (
            session.unavailable().some((d) => d.server === server) ||
            /didn't answer|could not be (reached|used)/i.test(error)
          )
            return send(reply, 503, 'service_unavailable', error);
          return send(reply, 422, 'tool_error', error);
        }
        return { call, ...(message ? { message } : {}) } satisfies ToolRunResult;
      } finally {
        await session.close();
      }
    },
  );
}
