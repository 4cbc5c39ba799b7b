import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { DatabaseUnavailableError, ToolError, callerOf } from '@msi/kit';
import type { Ctx } from '../access.js';

/** MCP's "resource not found" error code. */
const RESOURCE_NOT_FOUND = -32002;

/** `ticket://TCK-1042`: the ticket as JSON (comments and history as the caller may see them). */
export function registerTicketResource(server: McpServer, { store, principal, log }: Ctx) {
  server.registerResource(
    'ticket',
    new ResourceTemplate('ticket://{number}', {
      list: async () => ({
        resources: (await store.recent(principal, 20)).map((t) => ({
          uri: `ticket://${t.number}`,
          name: t.number,
          title: `${t.number}: ${t.title}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Support ticket',
      description: 'A support ticket with its comments and history, e.g. ticket://TCK-1042',
      mimeType: 'application/json',
    },
    async (uri, { number }) => {
      try {
        const t = await store.get(principal, String(number));
        return {
          contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(t, null, 2) }],
        };
      } catch (err) {
        if (err instanceof ToolError)
          throw new McpError(RESOURCE_NOT_FOUND, `resource ${uri.href} not found`);
        if (err instanceof DatabaseUnavailableError)
          throw new McpError(ErrorCode.InternalError, `reading ${uri.href}: ${err.message}`);
        log.error({ err, resource: uri.href, caller: callerOf(principal) }, 'resource read failed');
        throw new McpError(ErrorCode.InternalError, `reading ${uri.href} failed; see the service log`);
      }
    },
  );
}
