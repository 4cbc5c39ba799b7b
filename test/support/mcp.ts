/**
 * An MCP client for tests and benchmarks: the SDK's Client over Streamable HTTP, with a bearer token
 * (from test/support/idp.ts: `resourceToken`), the way the API connects to our MCP servers.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export type ToolResult = CallToolResult & { structuredContent?: Record<string, unknown> };

/** A connected client of the MCP endpoint `endpoint` (a server's `…/mcp`), calling with `token`. */
export async function connectMcp(endpoint: string, token?: string, name = 'msi-test'): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** Calls a tool; returns the result (a tool error is a result with isError). */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** The text of a tool error ('' for a result that is not one). */
export const errorText = (r: CallToolResult): string =>
  r.isError ? (r.content[0] as { text: string }).text : '';
