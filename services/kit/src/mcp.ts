import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createTokenVerifier, insufficientScope, requireBearer } from './auth.js';
import { allowedHosts, hostAllowed } from './host-guard.js';
import { warmUpLater } from './lifecycle.js';
import { calledTool, invalidParams, ownEntry, toolCallProblem, type JsonRpcMessage } from './mcp-requests.js';
import type { ClaimMapping } from './identity.js';
import type { Principal } from './principal.js';
import { startSpan } from './tracing.js';

export interface McpHttpOptions {
  /** Server name and version as announced to clients. */
  name: string;
  version: string;
  /** This server's resource URL: the RFC 9728 `resource`, and an accepted token audience. */
  resource: string;
  /** Another `aud` its tokens may carry: the provider's name for it (TOKEN_AUDIENCE). */
  audience?: string;
  /** The one issuer whose tokens are accepted. */
  issuer: string;
  /** How the tokens' claims read, and the accepted algorithms (default: ours, RS256/PS256/ES256). */
  claims?: ClaimMapping;
  algorithms?: string[];
  scopesSupported: string[];
  /** Scope every request needs (e.g. `tickets:read`). */
  readScope: string;
  /**
   * The scope a call of each tool needs (a call without it is answered 403 insufficient_scope), e.g.
   * `toolScopes(TOOLS)` from the tool definitions. A function is called on the first tool call, so the
   * definitions (and zod) load after start-up, with the tools.
   */
  toolScopes: Record<string, string> | (() => Promise<Record<string, string>>);
  /** Host header values accepted besides those of `resource` and the bound loopback address. */
  allowedHosts?: string[];
  /** Origins accepted when a request carries an `Origin` header (browsers); others get 403. */
  allowedOrigins?: string[];
  /**
   * Builds the server for one request; tools close over the verified caller. May be async: a service
   * loads its tool modules (and the SDK values they use) on its first MCP request.
   */
  build(server: McpServer, principal: Principal): void | Promise<void>;
  /** Loads what `build` needs (its tool modules); called a moment after listening, with the SDK. */
  preload?(): Promise<unknown>;
  /**
   * The server's data store: while its database is away (a query failed for want of it and a ping
   * still fails), every MCP request is answered 503 `unavailable` naming the database.
   */
  store?: { readonly available: boolean; readonly label: string; ping(): Promise<void> };
}

/**
 * The MCP server SDK (zod schemas and a JSON Schema validator: a quarter of a second of module loading)
 * is not loaded at start-up: the services that do not serve MCP (the IDP, the API) never load it, and
 * the MCP servers answer their health check without waiting for it; they load it a moment after
 * listening (or on their first MCP request, if that comes first).
 */
let sdk:
  | Promise<
      [
        typeof import('@modelcontextprotocol/sdk/server/mcp.js'),
        typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
      ]
    >
  | undefined;
export const loadMcpServerSdk = () =>
  (sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]));

/**
 * Mounts an MCP server at `/mcp` (Streamable HTTP, stateless: each POST gets a fresh server and
 * transport, so any instance can answer any request and nothing is kept between calls) as an OAuth
 * resource server: bearer JWTs for this resource only, RFC 9728 metadata, DNS-rebinding protection.
 */
export function mountMcp(app: FastifyInstance, opts: McpHttpOptions): void {
  // RFC 9728 §3.3: the metadata at `/.well-known/oauth-protected-resource/mcp` is that of the resource
  // `<server>/mcp`, the URL an MCP host connects to; the bare one names the server. Tokens for either name
  // are accepted (the API's exchanged tokens name the server; hosts that read the metadata, `/mcp`).
  const metadataPath = '/.well-known/oauth-protected-resource';
  const mcpResource = `${opts.resource}/mcp`;
  const metadataUrl = `${opts.resource}${metadataPath}/mcp`;
  const metadataFor = (resource: string) => ({
    resource,
    authorization_servers: [opts.issuer],
    scopes_supported: opts.scopesSupported,
    bearer_methods_supported: ['header'],
    resource_name: opts.name,
  });
  app.get(metadataPath, async () => metadataFor(opts.resource));
  app.get(`${metadataPath}/mcp`, async () => metadataFor(mcpResource));

  const hosts = allowedHosts(opts.resource, opts.allowedHosts);
  const origins = new Set((opts.allowedOrigins ?? []).map((o) => o.toLowerCase()));

  const guardHostAndOrigin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!hostAllowed(req.headers.host, hosts, app)) {
      const host = req.headers.host || '(none)';
      return reply.status(403).send({ error: 'forbidden_host', message: `host ${host} is not allowed` });
    }
    const origin = req.headers.origin?.toLowerCase();
    // A page of this very origin (the Host it asked for, already checked) is no cross-site request.
    const sameOrigin =
      !!origin && URL.canParse(origin) && new URL(origin).host === (req.headers.host ?? '').toLowerCase();
    if (origin && !origins.has(origin) && !sameOrigin) {
      return reply
        .status(403)
        .send({ error: 'forbidden_origin', message: `origin ${origin} is not allowed` });
    }
  };

  // Tokens from the issuer whose audience is this very resource, and no other.
  // With TOKEN_AUDIENCE (a provider's logical name for this server) that name comes first.
  const verifier = createTokenVerifier({
    issuer: opts.issuer,
    audience: [...(opts.audience ? [opts.audience] : []), opts.resource, mcpResource],
    ...(opts.claims ? { claims: opts.claims } : {}),
    ...(opts.algorithms ? { algorithms: opts.algorithms } : {}),
  });
  const auth = requireBearer(verifier, {
    resourceMetadataUrl: metadataUrl,
    requiredScopes: [opts.readScope],
  });

  app.post('/mcp', { preHandler: [guardHostAndOrigin, auth] }, async (req, reply) => {
    const principal = req.principal!;
    if (opts.store && !opts.store.available) {
      const down = await opts.store.ping().then(
        () => undefined,
        (err: unknown) => err,
      );
      if (down) {
        return reply
          .status(503)
          .header('retry-after', '2')
          .send({ error: 'unavailable', message: (down as Error).message });
      }
    }
    const calls = (Array.isArray(req.body) ? req.body : [req.body]) as (JsonRpcMessage | null)[];
    for (const msg of calls) {
      const problem = msg && toolCallProblem(msg);
      if (problem) return reply.status(Array.isArray(req.body) ? 400 : 200).send(invalidParams(msg, problem));
    }
    const toolCalls = calls.filter((msg) => msg?.method === 'tools/call');
    const scopes =
      toolCalls.length === 0
        ? {}
        : typeof opts.toolScopes === 'function'
          ? await opts.toolScopes()
          : opts.toolScopes;
    for (const msg of toolCalls) {
      const tool = calledTool(msg!);
      const needed = tool === undefined ? undefined : ownEntry(scopes, tool);
      if (needed && !principal.scopes.includes(needed)) {
        return insufficientScope(
          reply,
          `${tool} needs scope ${needed}`,
          [...new Set([opts.readScope, needed])].join(' '),
          metadataUrl,
        );
      }
    }
    const [{ McpServer }, { StreamableHTTPServerTransport }] = await loadMcpServerSdk();
    const server = new McpServer({ name: opts.name, version: opts.version });
    await opts.build(server, principal);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    // One span for the JSON-RPC work of this request (a tool call, with its database queries under it),
    // ended when the answer is out: the transport answers after handleRequest has returned.
    const methods = calls.flatMap((m) => (typeof m?.method === 'string' ? [m.method] : []));
    const tools = toolCalls.flatMap((m) => calledTool(m!) ?? []);
    const span = startSpan(
      tools.length === 1 ? `tools/call ${tools[0]}` : methods.length === 1 ? methods[0]! : 'mcp batch',
      {
        attributes: {
          'rpc.system': 'mcp',
          'mcp.method.name': methods.join(','),
          ...(tools.length ? { 'gen_ai.tool.name': tools.join(',') } : {}),
          'enduser.id': principal.sub,
        },
      },
    );
    reply.hijack();
    reply.raw.on('close', () => {
      span.end();
      void transport.close();
      void server.close();
    });
    await span.run(() => server.connect(transport));
    const raw = Object.assign(req.raw, {
      auth: {
        token: '',
        clientId: principal.clientId,
        scopes: principal.scopes,
        expiresAt: principal.expiresAt,
        resource: new URL(opts.resource),
        extra: { principal },
      },
    });
    await span.run(() => transport.handleRequest(raw, reply.raw, req.body));
  });

  // A moment after listening, load the SDK and the tools, so that the first MCP request does not wait.
  app.addHook('onListen', (done) => {
    warmUpLater(() => Promise.all([loadMcpServerSdk(), opts.preload?.()]));
    done();
  });

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(405)
      .header('Allow', 'POST')
      .send({ error: 'method_not_allowed', message: 'this MCP server is stateless: use POST /mcp' });
  app.get('/mcp', { preHandler: [guardHostAndOrigin] }, notAllowed);
  app.delete('/mcp', { preHandler: [guardHostAndOrigin] }, notAllowed);
}
