import { DatabaseUnavailableError } from './database-errors.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A successful tool result: `structuredContent` for programs (checked by the SDK against the tool's
 * output schema) plus the same answer as readable text for people and models.
 */
export function toolResult<T extends Record<string, unknown>>(
  structured: T,
  text: string,
): CallToolResult & { structuredContent: T } {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/**
 * A refusal a tool throws on purpose: the SDK turns it into a tool error (`isError: true`) whose text
 * is this message. Use it for "not found" and bad input the schema cannot express.
 */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/**
 * Wraps a tool callback: a ToolError passes through (its message is the answer); any other error is
 * logged with the tool's name, the caller and the error, and replaced by a generic ToolError, so internals
 * (SQL, file paths, stack traces) never reach a client and no failure goes unlogged.
 */
export function guardTool<A extends unknown[], R>(
  log: { error(obj: object, msg: string): void },
  where: { tool: string; caller?: string },
  callback: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await callback(...args);
    } catch (err) {
      if (err instanceof ToolError) throw err;
      // The database is away: say so (the person can try again), not "internal error".
      if (err instanceof DatabaseUnavailableError) throw new ToolError(`${where.tool}: ${err.message}`);
      log.error({ err, ...where }, 'tool failed');
      throw new ToolError(`${where.tool} failed with an internal error; see the service log`);
    }
  };
}
