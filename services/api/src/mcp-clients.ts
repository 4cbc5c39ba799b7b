/**
 * The API's side of the two MCP servers: the real MCP SDK client over Streamable HTTP, each request
 * carrying a token exchanged for that server (the person's rights, never widened). Tool lists come from
 * the servers themselves (tools/list as the person), cached per person (and what decides their
 * visibility: roles and organizations) and server until the server says `notifications/tools/list_changed`
 * (or a few minutes pass). Every connection, list and call has a timeout per server; a server that does
 * not answer in time, or cannot be reached, is named in the error the person reads.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { inSpan, traceHeaders, type Logger, type Principal } from '@msi/kit';
import type { McpServerName } from './contract.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { describeFailure } from './mcp-errors.js';
import { sharedValidator } from './mcp-validators.js';
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
  /**
   * The call failed after it was sent (no answer in time, the connection cut mid-request, a balancer's
   * 502/503/504): the server may have made the change all the same.
   */
  maybeMade?: boolean;
}

/** A server whose tools could not be listed, and why (a sentence for the person). */
export interface Unavailable {
  server: McpServerName;
  message: string;
}

/** The MCP servers as one person sees them, for the length of one request. */
export interface McpSession {
  /** Tools of every server that answered (a server that did not is left out: see unavailable()). */
  listTools(): Promise<RemoteTool[]>;
  /** The servers whose last list in this session failed, with why. */
  unavailable(): Unavailable[];
  /** The server a tool of this name was last listed by (for anyone), if any. */
  serverOf(tool: string): McpServerName | undefined;
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
  /**
   * Starts what this person's first turn needs (token exchanges, connections and tool lists for every
   * server) without waiting for it; failures are left for the turn to meet and report.
   */
  warm(principal: Principal, subjectToken: string): void;
}

export interface McpGatewayOptions {
  servers: McpServerRef[];
  exchanger: TokenExchanger;
  log: Logger;
  /** How long a person's tool list is reused at most, without a change notice from its server (ms). */
  listTtlMs?: number;
  /** How long a server has to answer one connection, list or call (ms). Default 10 s. */
  timeoutMs?: number;
  /** A connected client unused this long is closed (ms). */
  idleMs?: number;
  /** Tool lists shared by every API instance (Redis, tool-list-cache.ts), under the same per-person key. */
  sharedLists?: SharedToolLists;
}

/** A store of tool lists other instances may reuse; the key carries what decides the list's visibility. */
export interface SharedToolLists {
  get(key: string): Promise<RemoteTool[] | undefined>;
  set(key: string, tools: RemoteTool[], ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
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
        jsonSchemaValidator,
      ]
    >
  | undefined;
const loadSdk = () =>
  (sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/validation/ajv').then(({ AjvJsonSchemaValidator }) =>
      sharedValidator(new AjvJsonSchemaValidator()),
    ),
  ]));

/** One connected client per person and server, reused across requests (the servers are stateless). */
interface Pooled {
  client: Promise<Client>;
  /** The person's latest API token: the subject of the next exchange when the cached one runs out. */
  subjectToken: string;
  /** That token's sign-in (`sid`): exchanged tokens are cached, and dropped, per sign-in. */
  session: string | undefined;
  lastUsed: number;
}

export interface McpGatewayHandle extends McpGateway {
  close(): Promise<void>;
  /** Loads the client SDK, then lists each server's tools once as the API itself (a service token):
   *  the IDP's token path, each server's first request and every output schema's validator are then
   *  warm before the first person asks. Failures are only logged. */
  preload(): Promise<unknown>;
}

export function createMcpGateway(opts: McpGatewayOptions): McpGatewayHandle {
  const ttl = opts.listTtlMs ?? 5 * 60_000;
  const timeout = opts.timeoutMs ?? 10_000;
  const idleMs = opts.idleMs ?? 5 * 60_000;
  /** Per person, what decides their tools, and server: the list, or the list being fetched. */
  const lists = new Map<string, { at: number; tools: Promise<RemoteTool[]> }>();
  const pool = new Map<string, Pooled>();
  /** Tool name -> the server that last listed it (names only, for saying which service a missing tool needs). */
  const owners = new Map<string, McpServerName>();
  /** The last list each person got (kept when a later one fails), and each server's list for the API's
   *  own service token: what a turn shows for a server that cannot answer right now, so that a tool the
   *  person asks for fails with the server's own words ("didn't answer in 10 s"), not as one they lack. */
  const lastGood = new Map<string, RemoteTool[]>();
  const serviceTools = new Map<McpServerName, RemoteTool[]>();
  const toRemote = (
    ref: McpServerRef,
    t: Awaited<ReturnType<Client['listTools']>>['tools'][number],
  ): RemoteTool => {
    owners.set(t.name, ref.name);
    return {
      server: ref.name,
      name: t.name,
      title: t.title ?? t.annotations?.title ?? t.name,
      description: t.description ?? '',
      inputSchema: t.inputSchema as Record<string, unknown>,
      // Only an explicit readOnlyHint: true counts as read-only; anything else may change data.
      readOnly: t.annotations?.readOnlyHint === true,
      destructive: t.annotations?.destructiveHint === true,
    };
  };
  const poolKey = (principal: Principal, ref: McpServerRef) => `${principal.sub}\n${ref.name}`;
  const listKey = (principal: Principal, ref: McpServerRef) =>
    `${principal.sub}\n${[...principal.roles].sort().join(',')}\n${[...principal.organizations].sort().join(',')}\n${ref.name}`;

  // Scopes too: a token with fewer scopes may list fewer tools.
  const sharedKey = (principal: Principal, ref: McpServerRef) =>
    `${listKey(principal, ref)}\n${[...principal.scopes].sort().join(' ')}`;

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
    const key = poolKey(principal, ref);
    const hit = pool.get(key);
    if (hit) {
      hit.subjectToken = subjectToken;
      hit.session = principal.sid;
      hit.lastUsed = Date.now();
      return hit.client;
    }
    const entry: Pooled = {
      subjectToken,
      session: principal.sid,
      lastUsed: Date.now(),
      client: undefined as unknown as Promise<Client>,
    };
    entry.client = (async () => {
      const [{ Client }, { StreamableHTTPClientTransport }, jsonSchemaValidator] = await loadSdk();
      const transport = new StreamableHTTPClientTransport(new URL(`${ref.url}/mcp`), {
        fetch: async (url, init) => {
          const token = await opts.exchanger.tokenFor(
            principal.sub,
            entry.subjectToken,
            ref.url,
            entry.session,
          );
          const headers = new Headers(init?.headers);
          headers.set('authorization', `Bearer ${token}`);
          // The client is pooled across requests: the trace is the one of the request calling now.
          for (const [k, v] of Object.entries(traceHeaders())) headers.set(k, v);
          return fetch(url, { ...init, headers });
        },
      });
      const cl = new Client(
        { name: 'msi-api', version: '0.1.0' },
        {
          jsonSchemaValidator,
          // The server's word that its tools changed: this person's list is fetched again next time.
          listChanged: {
            tools: {
              autoRefresh: false,
              debounceMs: 0,
              onChanged: () => {
                lists.delete(listKey(principal, ref));
                void opts.sharedLists?.delete(sharedKey(principal, ref)).catch(() => {});
              },
            },
          },
        },
      );
      await cl.connect(transport, { timeout });
      return cl;
    })();
    entry.client.catch(() => pool.get(key) === entry && pool.delete(key));
    pool.set(key, entry);
    return entry.client;
  };

  const warmServer = async (ref: McpServerRef) => {
    const serviceToken = opts.exchanger.serviceToken?.bind(opts.exchanger);
    if (!serviceToken) return;
    const [{ Client }, { StreamableHTTPClientTransport }, jsonSchemaValidator] = await loadSdk();
    const transport = new StreamableHTTPClientTransport(new URL(`${ref.url}/mcp`), {
      fetch: async (url, init) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${await serviceToken(ref.url)}`);
        for (const [k, v] of Object.entries(traceHeaders())) headers.set(k, v);
        return fetch(url, { ...init, headers });
      },
    });
    const cl = new Client({ name: 'msi-api', version: '0.1.0' }, { jsonSchemaValidator });
    try {
      await cl.connect(transport, { timeout });
      const { tools } = await cl.listTools(undefined, { timeout });
      serviceTools.set(
        ref.name,
        tools.map((t) => toRemote(ref, t)),
      );
    } finally {
      await cl.close().catch(() => {});
    }
  };

  const gateway: McpGatewayHandle = {
    async preload() {
      await loadSdk();
      // The servers may still be starting beside the API (the supervisor starts all at once): a few tries.
      let waiting = opts.servers;
      for (let attempt = 0; waiting.length && attempt < 10; attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, 1000).unref());
        const results = await Promise.allSettled(waiting.map(warmServer));
        waiting = waiting.filter((ref, i) => {
          const r = results[i]!;
          if (r.status === 'fulfilled') return false;
          opts.log.debug(
            { server: ref.name, err: describeFailure(ref.name, r.reason, timeout) },
            'warm-up: cannot list tools yet',
          );
          return true;
        });
      }
    },
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...pool.keys()].map(drop));
    },
    warm(principal, subjectToken) {
      const session = gateway.session(principal, subjectToken);
      void session.listTools().catch(() => {});
    },
    session(principal, subjectToken) {
      const down = new Map<McpServerName, string>();
      const fetchList = async (ref: McpServerRef): Promise<RemoteTool[]> => {
        const shared = await opts.sharedLists?.get(sharedKey(principal, ref)).catch(() => undefined);
        if (shared) {
          for (const t of shared) owners.set(t.name, t.server);
          lastGood.set(listKey(principal, ref), shared);
          return shared;
        }
        const { tools } = await (
          await client(principal, subjectToken, ref)
        ).listTools(undefined, { timeout });
        const out = tools.map((t) => toRemote(ref, t));
        lastGood.set(listKey(principal, ref), out);
        void opts.sharedLists?.set(sharedKey(principal, ref), out, ttl).catch(() => {});
        return out;
      };
      const listFrom = async (ref: McpServerRef): Promise<RemoteTool[]> => {
        const key = listKey(principal, ref);
        const hit = lists.get(key);
        if (hit && Date.now() - hit.at < ttl) return hit.tools;
        // Concurrent requests of one person (a warm-up and the first turn) share one list request.
        const entry = { at: Date.now(), tools: fetchList(ref) };
        lists.set(key, entry);
        entry.tools.catch(() => {
          if (lists.get(key) === entry) lists.delete(key);
          drop(poolKey(principal, ref));
        });
        return entry.tools;
      };

      return {
        async listTools() {
          const results = await Promise.allSettled(opts.servers.map(listFrom));
          return results.flatMap((r, i) => {
            const server = opts.servers[i]!.name;
            if (r.status === 'fulfilled') {
              down.delete(server);
              return r.value;
            }
            const message = describeFailure(server, r.reason, timeout);
            down.set(server, message);
            opts.log.warn({ server, err: message }, 'cannot list tools');
            // Calls of these fail at once with `message` (see call()).
            return lastGood.get(listKey(principal, opts.servers[i]!)) ?? serviceTools.get(server) ?? [];
          });
        },
        unavailable: () => [...down].map(([server, message]) => ({ server, message })),
        serverOf: (tool) => owners.get(tool),
        async call(server, tool, args, signal) {
          const ref = opts.servers.find((s) => s.name === server);
          if (!ref) return { ok: false, error: `unknown server ${server}` };
          // Its list failed in this very request: say so at once instead of waiting for it again.
          const known = down.get(server);
          if (known) return { ok: false, error: known };
          // The SDK never removes the abort listener it adds to a request's signal: give it a signal of
          // this call only, linked to the turn's until the call ends (else every finished call of the
          // turn stays a listener, and a later hang-up sends a cancellation for each of them).
          const own = new AbortController();
          const forward = () => own.abort(signal?.reason);
          if (signal?.aborted) forward();
          else signal?.addEventListener('abort', forward, { once: true });
          const callOnce = async (): Promise<ToolOutcome> => {
            let sent = false;
            try {
              const connected = await client(principal, subjectToken, ref);
              sent = true;
              const res = await connected.callTool({ name: tool, arguments: args }, undefined, {
                signal: own.signal,
                timeout,
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
              drop(poolKey(principal, ref));
              const error = describeFailure(server, err, timeout);
              opts.log.warn({ server, tool, err: error }, 'tool call failed');
              const refused =
                (err as { cause?: { code?: unknown } } | undefined)?.cause?.code === 'ECONNREFUSED';
              return { ok: false, error, ...(sent && !refused ? { maybeMade: true } : {}) };
            }
          };
          try {
            return await inSpan(
              `tools/call ${tool}`,
              {
                kind: 'client',
                attributes: {
                  'rpc.system': 'mcp',
                  'mcp.method.name': 'tools/call',
                  'gen_ai.tool.name': tool,
                  'msi.mcp.server': server,
                },
              },
              async (span) => {
                const out = await callOnce();
                if (!out.ok) span.fail(out.error ?? `${tool} failed`);
                return out;
              },
            );
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
  return gateway;
}
