/**
 * One definition per MCP tool (modelcontextprotocol/servers "everything" style): its name, title,
 * description, annotations, zod input and output schemas, the scope a call needs, whether it writes, and its
 * handler. `registerTools` puts the definitions on a server for one verified caller, each behind the guard:
 * a ToolError (bad arguments, not found) is answered with its message; anything else is logged with the
 * tool, the caller and the error, and answered generically (no SQL, no paths, no stack).
 *
 * Only types come from the MCP SDK and zod here, so the kit's index stays cheap to load.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Logger } from './log.js';
import { guardTool, toolResult } from './mcp-result.js';
import type { Principal } from './principal.js';

/** What every tool handler gets: the verified caller of this request and the service's logger. */
export interface ToolContext {
  principal: Principal;
  log: Pick<Logger, 'error'>;
}

/** A tool's input: a zod object (e.g. `.strict()`) or the raw shape of one. */
export type ToolInput = z.ZodRawShape | z.AnyZodObject;
export type ToolArgs<I extends ToolInput> = I extends z.AnyZodObject
  ? z.output<I>
  : I extends z.ZodRawShape
    ? z.output<z.ZodObject<I>>
    : never;

/** What a handler answers: the structured result (checked against the output schema) and readable text. */
export interface ToolAnswer<O extends z.ZodRawShape> {
  structured: z.input<z.ZodObject<O>>;
  text: string;
}

export interface ToolDefinition<
  C extends ToolContext = ToolContext,
  I extends ToolInput = ToolInput,
  O extends z.ZodRawShape = z.ZodRawShape,
> {
  name: string;
  title: string;
  description: string;
  /** `readOnlyHint` is not given: it is `!write`. */
  annotations: Omit<ToolAnnotations, 'readOnlyHint' | 'title'> & {
    destructiveHint: boolean;
    idempotentHint: boolean;
  };
  input: I;
  output: O;
  /** The scope a call needs (checked over HTTP before the server is built, and again here). */
  scope: string;
  /** Whether the tool changes data (the API asks the person's approval first). */
  write: boolean;
  /** Whether this caller is offered the tool at all; one that is not offered does not exist for them. */
  offeredTo?: (principal: Principal) => boolean;
  handler(args: ToolArgs<I>, ctx: C): ToolAnswer<O> | Promise<ToolAnswer<O>>;
}

/** Declares a tool; the identity function with the types that tie the handler to its schemas. */
export function defineTool<C extends ToolContext, I extends ToolInput, O extends z.ZodRawShape>(
  def: ToolDefinition<C, I, O>,
): ToolDefinition<C, I, O> {
  return def;
}

/** Any tool definition of a server whose context is `C` (for lists of differently-typed tools). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool<C extends ToolContext> = ToolDefinition<C, any, any>;

/** Who called, for log lines: the username, or the client id for a service token. */
export function callerOf(p: Principal): string {
  return p.isService || !p.username ? `client:${p.clientId}` : p.username;
}

/** Registers the tools offered to `ctx.principal`, each behind the guard. */
export function registerTools<C extends ToolContext>(
  server: McpServer,
  ctx: C,
  tools: readonly AnyTool<C>[],
): void {
  for (const def of tools) {
    if (def.offeredTo && !def.offeredTo(ctx.principal)) continue;
    const run = guardTool(ctx.log, { tool: def.name, caller: callerOf(ctx.principal) }, async (args) => {
      if (!ctx.principal.scopes.includes(def.scope))
        return errorResult(`${def.name} needs the scope ${def.scope}`);
      const answer = await def.handler(args as never, ctx);
      return toolResult(answer.structured as Record<string, unknown>, answer.text);
    });
    server.registerTool(
      def.name,
      {
        title: def.title,
        description: def.description,
        inputSchema: def.input,
        outputSchema: def.output,
        annotations: { readOnlyHint: !def.write, openWorldHint: false, ...def.annotations },
      },
      async (args: unknown) => run(args).catch((err: Error) => errorResult(err.message)),
    );
  }
}

/** A tool error answer (`isError`), as the SDK gives for a thrown error, but without throwing. */
function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * The scope each tool's call needs, by name, for the HTTP-level check in `mountMcp` (a token without it
 * gets 403 insufficient_scope, so a client can step up).
 */
export function toolScopes(tools: readonly Pick<ToolDefinition, 'name' | 'scope'>[]): Record<string, string> {
  return Object.fromEntries(tools.map((t) => [t.name, t.scope]));
}

/** The names of the tools that change data. */
export function writeToolNames(tools: readonly Pick<ToolDefinition, 'name' | 'write'>[]): string[] {
  return tools.filter((t) => t.write).map((t) => t.name);
}
