/**
 * The API's side of the two MCP servers: the real MCP SDK client over Streamable HTTP, each request
 * carrying a token exchanged for that server (the person's rights, never widened). Tool lists come from
 * the servers themselves (tools/list as the person), cached briefly per person and server.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Logger, Principal } from '@msi/kit';
import type { McpServerName } from './contract.js';
import type { TokenExchanger } from './token-exchange.js';

export interface McpServerRef {
  name: McpServerName;
  /** The server's resource URL (its token audience); the endpoint is `${url}/mcp`. */
  url: string;
}

export interface RemoteTool {
  server: McpServerName;
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  readOnly: boolean;
  destructive: boolean;
}

export interface ToolOutcome {
  ok: boolean;
  /** structuredContent, else the text content. */
  result?: unknown;
  error?: string;
}

/** The MCP servers as one person sees them, for the length of one request. */
export interface McpSession {
  listTools(): Promise<RemoteTool[]>;
  call(
    server: McpServerName,
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<ToolOutcome>;
  close(): Promise<void>;
}

export interface McpGateway {
  session(principal: Principal, subjectToken: string): McpSession;
}

export interface McpGatewayOptions {
  servers: McpServerRef[];
  exchanger: TokenExchanger;
  log: Logger;
  /** How long a person's tool list is reused (ms). */
  listTtlMs?: number;
  callTimeoutMs?: number;
  /** A connected client unused this long is closed (ms). */
  idleMs?: number;
}

/**
 * The MCP client SDK is not loaded at start-up: the gateway's preload() loads it a moment after the API
 * listens, or the first connection (the first tool list or call) does if that comes first.
 */
let sdk:
  | Promise<
      [
        typeof import('@modelcontextprotocol/sdk/client/index.js'),
        typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      ]
    >
  | undefined;
const loadSdk = () =>
  (sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]));

/** One connected client per person and server, reused across requests (the servers are stateless). */
interface Pooled {
  client: Promise<Client>;
  /** The person's latest API token: the subject of the next exchange when the cached one runs out. */
  subjectToken: string;
  lastUsed: number;
}

export function createMcpGateway(
  opts: McpGatewayOptions,
): McpGateway & { close(): Promise<void>; preload(): Promise<unknown> } {
  const ttl = opts.listTtlMs ?? 30_000;
  const idleMs = opts.idleMs ?? 5 * 60_000;
  const lists = new Map<string, { at: number; tools: RemoteTool[] }>();
  const pool = new Map<string, Pooled>();

  const drop = (key: string) => {
    const p = pool.get(key);
    if (!p) return;
    pool.delete(key);
    void p.client.then((c) => c.close()).catch(() => {});
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, p] of pool) if (now - p.lastUsed > idleMs) drop(k);
  }, 60_000);
  sweep.unref();

  const client = (principal: Principal, subjectToken: string, ref: McpServerRef): Promise<Client> => {
    const key = `${principal.sub}\n${ref.name}`;
    const hit = pool.get(key);
    if (hit) {
      hit.subjectToken = subjectToken;
      hit.lastUsed = Date.now();
      return hit.client;
    }
    const entry: Pooled = {
      subjectToken,
      lastUsed: Date.now(),
      client: undefined as unknown as Promise<Client>,
    };
    entry.client = (async () => {
      const [{ Client }, { StreamableHTTPClientTransport }] = await loadSdk();
      const transport = new StreamableHTTPClientTransport(new URL(`${ref.url}/mcp`), {
        fetch: async (url, init) => {
          const token = await opts.exchanger.tokenFor(principal.sub, entry.subjectToken, ref.url);
          const headers = new Headers(init?.headers);
          headers.set('authorization', `Bearer ${token}`);
          return fetch(url, { ...init, headers });
        },
      });
      const cl = new Client({ name: 'msi-api', version: '0.1.0' });
      await cl.connect(transport);
      return cl;
    })();
    entry.client.catch(() => pool.get(key) === entry && pool.delete(key));
    pool.set(key, entry);
    return entry.client;
  };

  return {
    preload: loadSdk,
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...pool.keys()].map(drop));
    },
    session(principal, subjectToken) {
      const listFrom = async (ref: McpServerRef): Promise<RemoteTool[]> => {
        const key = `${principal.sub}\n${ref.name}`;
        const hit = lists.get(key);
        if (hit && Date.now() - hit.at < ttl) return hit.tools;
        let tools;
        try {
          ({ tools } = await (await client(principal, subjectToken, ref)).listTools());
        } catch (err) {
          drop(key);
          throw err;
        }
        const out = tools.map((t) => ({
          server: ref.name,
          name: t.name,
          title: t.title ?? t.annotations?.title ?? t.name,
          description: t.description ?? '',
          inputSchema: t.inputSchema as Record<string, unknown>,
          // Only an explicit readOnlyHint: true counts as read-only; anything else may change data.
          readOnly: t.annotations?.readOnlyHint === true,
          destructive: t.annotations?.destructiveHint === true,
        }));
        lists.set(key, { at: Date.now(), tools: out });
        return out;
      };

      return {
        async listTools() {
          const results = await Promise.allSettled(opts.servers.map(listFrom));
          return results.flatMap((r, i) => {
            if (r.status === 'fulfilled') return r.value;
            opts.log.warn({ server: opts.servers[i]!.name, err: describe(r.reason) }, 'cannot list tools');
            return [];
          });
        },
        async call(server, tool, args, signal) {
          const ref = opts.servers.find((s) => s.name === server);
          if (!ref) return { ok: false, error: `unknown server ${server}` };
          // The SDK never removes the abort listener it adds to a request's signal: give it a signal of
          // this call only, linked to the turn's until the call ends (else every finished call of the
          // turn stays a listener, and a later hang-up sends a cancellation for each of them).
          const own = new AbortController();
          const forward = () => own.abort(signal?.reason);
          if (signal?.aborted) forward();
          else signal?.addEventListener('abort', forward, { once: true });
          try {
            const res = await (
              await client(principal, subjectToken, ref)
            ).callTool({ name: tool, arguments: args }, undefined, {
              signal: own.signal,
              timeout: opts.callTimeoutMs ?? 60_000,
            });
            const content = Array.isArray(res.content)
              ? (res.content as { type: string; text?: string }[])
              : [];
            const text = content
              .filter((c) => c.type === 'text' && typeof c.text === 'string')
              .map((c) => c.text)
              .join('\n');
            if (res.isError) return { ok: false, error: text || `${tool} failed` };
            return { ok: true, result: res.structuredContent ?? text };
          } catch (err) {
            if (signal?.aborted) return { ok: false, error: 'cancelled' };
            // A transport or protocol failure: the next call starts with a fresh connection.
            drop(`${principal.sub}\n${ref.name}`);
            return { ok: false, error: describe(err) };
          } finally {
            signal?.removeEventListener('abort', forward);
          }
        },
        async close() {
          // Pooled clients stay connected for the person's next request.
        },
      };
    },
  };
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // The SDK wraps HTTP errors as "Error POSTing to endpoint (HTTP 403): {json}"; keep the server's words.
  const m = msg.match(/\(HTTP (\d+)\): (.*)$/s);
  if (m) {
    try {
      const body = JSON.parse(m[2]!) as { message?: string; error?: string };
      return `${body.message ?? body.error ?? m[2]} (HTTP ${m[1]})`;
    } catch {
      return msg;
    }
  }
  return msg;
}
