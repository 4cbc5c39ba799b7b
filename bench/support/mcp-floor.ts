/**
 * The floor for MCP latency figures: a minimal SDK server with one no-op tool over the same stateless
 * Streamable HTTP transport our servers use (a fresh server and transport per POST, JSON responses),
 * with no auth and no storage. Prints its URL on stdout; `PORT` optional.
 */
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const http = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const server = new McpServer({ name: 'floor', version: '1.0.0' });
    server.registerTool('noop', { title: 'No-op', description: 'Does nothing' }, async () => ({
      content: [{ type: 'text', text: 'ok' }],
    }));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')));
  });
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = http.address();
  process.stdout.write(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => http.close(() => process.exit(0)));
