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
