/**
 * The gateway's tool-list cache and the servers' `notifications/tools/list_changed`: a list is fetched
 * once and reused (no tools/list per turn), and a server that says its list changed gets its new list
 * asked for, long before the cache's time is up.
 *
 * Our own MCP servers answer statelessly (JSON responses, no session), so they cannot send a notification
 * outside a request: the server here is an MCP SDK server with sessions (the standalone SSE stream a
 * notification travels on), as a third-party MCP server would be.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@msi/kit';
import { desktopPrincipal } from '../../../test/support/principal.js';
import { createMcpGateway } from '../src/mcp-clients.js';

const servers: McpServer[] = [];
const transports = new Map<string, StreamableHTTPServerTransport>();
let toolLists = 0;
let http: Server;
let url = '';

type Handler = (...args: unknown[]) => unknown;

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'changing', version: '1.0.0' });
  server.registerTool('alpha', { description: 'The first tool' }, () => ({
    content: [{ type: 'text', text: 'alpha' }],
  }));
  // Counts the lists asked for: the cache is seen from the server's side.
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, Handler> })._requestHandlers;
  const list = handlers.get('tools/list')!;
  handlers.set('tools/list', (...args) => {
    toolLists++;
    return list(...args);
  });
  servers.push(server);
  return server;
}

const body = (req: IncomingMessage) =>
  new Promise<unknown>((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d));
    req.on('end', () => resolve(text ? JSON.parse(text) : undefined));
  });

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    const parsed = req.method === 'POST' ? await body(req) : undefined;
    if (known) return known.handleRequest(req, res, parsed);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void transports.set(id, transport),
    });
    await mcpServer().connect(transport);
    await transport.handleRequest(req, res, parsed);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

describe('tool lists', () => {
  it('are cached, and fetched again when the server says its list changed', async () => {
    const gateway = createMcpGateway({
      servers: [{ name: 'ticketing', url }],
      exchanger: { tokenFor: async () => 'token', exchanges: 0 },
      log: createLogger('api-test', 'silent'),
      // Only the server's word can refresh the list within this test.
      listTtlMs: 60 * 60_000,
    });
    const alex = desktopPrincipal('alex_agent', ['agent'], []);
    const names = async () => (await gateway.session(alex, 'subject').listTools()).map((t) => t.name);
    try {
      expect(await names()).toEqual(['alpha']);
      expect(await names()).toEqual(['alpha']);
      expect(toolLists, 'the second turn reused the list').toBe(1);

      // The server gets a tool: its SDK sends notifications/tools/list_changed on the session's stream.
      servers.at(-1)!.registerTool('beta', { description: 'A new tool' }, () => ({
        content: [{ type: 'text', text: 'beta' }],
      }));
      await vi.waitFor(async () => expect(await names()).toEqual(['alpha', 'beta']), { timeout: 5000 });
      expect(toolLists).toBe(2);
      expect(await names()).toEqual(['alpha', 'beta']);
      expect(toolLists, 'and the new list is cached again').toBe(2);
    } finally {
      await gateway.close();
    }
  });
});
