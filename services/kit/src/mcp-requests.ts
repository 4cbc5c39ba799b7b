/**
 * Checks of incoming MCP JSON-RPC messages that the SDK 1.x gets wrong: its request schemas turn a
 * malformed `tools/call` (e.g. `arguments: null`) into an internal error carrying a zod dump, and it looks
 * tool names up in a plain object, where `__proto__` or `constructor` finds an `Object.prototype` member.
 */

export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** JSON-RPC 2.0 "Invalid params". */
export const INVALID_PARAMS = -32602;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const describeValue = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** What is wrong with a `tools/call` request's params, in one sentence; undefined when nothing is. */
export function toolCallProblem(msg: JsonRpcMessage): string | undefined {
  if (msg.method !== 'tools/call') return undefined;
  if (!isPlainObject(msg.params))
    return `tools/call params must be an object (got ${describeValue(msg.params)})`;
  const { name, arguments: args } = msg.params;
  if (typeof name !== 'string' || !name) return 'tools/call params.name must be the name of a tool';
  // The SDK keeps its tools in a plain object: `__proto__` or `constructor` would be found there ("disabled").
  if (name in Object.prototype) return `Tool ${name} not found`;
  if (args !== undefined && !isPlainObject(args))
    return `tools/call arguments must be an object (got ${describeValue(args)})`;
  return undefined;
}

/** The name of the tool a message calls, or undefined for any other message. */
export function calledTool(msg: JsonRpcMessage): string | undefined {
  return msg.method === 'tools/call' && isPlainObject(msg.params) && typeof msg.params.name === 'string'
    ? msg.params.name
    : undefined;
}

/** A value of a name-keyed table, never one of `Object.prototype`'s members. */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The JSON-RPC error answer to a request (or a notification's id-less answer). */
export function invalidParams(msg: JsonRpcMessage, message: string) {
  const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : null;
  return { jsonrpc: '2.0' as const, id, error: { code: INVALID_PARAMS, message } };
}
