/** GET /api/me (who is signed in, what they may do, which model answers) and GET /api/tools (what this person may call). */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { bearerToken } from './auth.js';
import { API_ROUTES, type Me, type ToolList } from '@msi/contracts/api';
import { canOf } from '@msi/contracts/roles';
import type { ModelProvider } from './agent/provider.js';
import type { McpGateway } from './mcp-clients.js';
import { createToolbox, toolInfo, type DocumentSearch } from './tools.js';

export function registerMeRoutes(
  app: FastifyInstance,
  opts: {
    preHandler: preHandlerHookHandler[];
    provider: ModelProvider;
    mcp: McpGateway;
    docs: DocumentSearch;
  },
): void {
  app.get(API_ROUTES.me, { preHandler: opts.preHandler }, async (req): Promise<Me> => {
    const p = req.principal!;
    // The renderer asks this right after sign-in: start what the person's first question will need.
    opts.mcp.warm(p, bearerToken(req));
    return {
      sub: p.sub,
      username: p.username,
      name: p.name ?? p.username,
      ...(p.email ? { email: p.email } : {}),
      roles: p.roles,
      organizations: p.organizations,
      provider: opts.provider.name,
      ...(opts.provider.model ? { model: opts.provider.model } : {}),
      can: canOf(p.roles),
    };
  });

  app.get(API_ROUTES.tools, { preHandler: opts.preHandler }, async (req): Promise<ToolList> => {
    const session = opts.mcp.session(req.principal!, bearerToken(req));
    try {
      const tools = await createToolbox(session, opts.docs).list();
      return { tools: tools.map(toolInfo) };
    } finally {
      await session.close();
    }
  });
}
