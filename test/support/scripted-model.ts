/**
 * A small scripted OpenAI-compatible server (test code only): `POST /v1/chat/completions` with
 * `stream: true` answers `chat.completion.chunk` deltas — text in pieces, tool calls split across chunks
 * the way real servers send them — and a usage chunk. What it answers is decided per request by a script
 * (a function of the request), so a test can make "the model" call tools, obey an injected instruction,
 * fail, or hang until the client aborts. The API under test talks to it through the real `openai` SDK.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  model: string;
  messages: {
    role: string;
    content?: string | null;
    tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    tool_call_id?: string;
  }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export type ScriptedReply =
  | {
      /** Text, streamed in the given pieces (a string is split into words). */
      text?: string | string[];
      toolCalls?: { name: string; arguments: Record<string, unknown> | string }[];
      /** Wait before each chunk (ms). */
      chunkDelayMs?: number;
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | { error: { status: number; message: string } }
  /** Sends the first text chunk, then never finishes (until the client goes away). */
  | { hang: true; text?: string };

export type Script = (req: ScriptedRequest, index: number) => ScriptedReply;

export interface ScriptedModel {
  /** The base URL for the openai SDK (`OPENAI_BASE_URL`). */
  baseUrl: string;
  /** Every request received, in order. */
  requests: ScriptedRequest[];
  /** The `traceparent` header of each request (same order; undefined when it had none). */
  traceparents: (string | undefined)[];
  /** Requests whose client went away before the answer was complete. */
  aborted: number;
  /** Milliseconds spent answering, summed over all requests (from request received to response ended). */
  busyMs: number;
  setScript(script: Script): void;
  close(): Promise<void>;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startScriptedModel(
  script: Script = () => ({ text: 'Hello.' }),
): Promise<ScriptedModel> {
  let current = script;
  const state = {
    requests: [] as ScriptedRequest[],
    traceparents: [] as (string | undefined)[],
    aborted: 0,
    busyMs: 0,
  };
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    const t0 = performance.now();
    try {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(await read(req)) as ScriptedRequest;
      state.requests.push(body);
      const tp = req.headers.traceparent;
      state.traceparents.push(typeof tp === 'string' ? tp : undefined);
      const reply = current(body, n++);
      if ('error' in reply) {
        res.writeHead(reply.error.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: reply.error.message, type: 'server_error', code: null } }),
        );
        return;
      }
      let closed = false;
      res.on('close', () => {
        if (!res.writableFinished) {
          closed = true;
          state.aborted++;
        }
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const id = `chatcmpl-${n}`;
      const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) =>
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
          ...(usage ? { usage } : {}),
        })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }));
      if ('hang' in reply) {
        if (reply.text) res.write(chunk({ content: reply.text }));
        await new Promise<void>((r) => res.on('close', () => r()));
        return;
      }
      const delay = reply.chunkDelayMs ?? 0;
      const pieces =
        typeof reply.text === 'string' ? (reply.text.match(/\S+\s*/g) ?? []) : (reply.text ?? []);
      for (const p of pieces) {
        if (closed) return;
        if (delay) await sleep(delay);
        res.write(chunk({ content: p }));
      }
      (reply.toolCalls ?? []).forEach((c, index) => {
        const args = typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments);
        const half = Math.floor(args.length / 2);
        res.write(
          chunk({
            tool_calls: [
              {
                index,
                id: `call_${n}_${index}`,
                type: 'function',
                function: { name: c.name, arguments: args.slice(0, half) },
              },
            ],
          }),
        );
        res.write(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
      });
      res.write(chunk({}, reply.toolCalls?.length ? 'tool_calls' : 'stop'));
      if (body.stream_options?.include_usage) {
        const usage = reply.usage ?? {
          prompt_tokens: 100 + body.messages.length * 10,
          completion_tokens: pieces.length + 5,
        };
        res.write(chunk({}, null, { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }));
      }
      res.end('data: [DONE]\n\n');
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: (err as Error).message } }));
    } finally {
      state.busyMs += performance.now() - t0;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get traceparents() {
      return state.traceparents;
    },
    get aborted() {
      return state.aborted;
    },
    get busyMs() {
      return state.busyMs;
    },
    setScript(s) {
      current = s;
      n = 0;
      state.requests.length = 0;
      state.traceparents.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The `tool` messages of a request (results the API sent back to the model). */
export function toolMessages(req: ScriptedRequest) {
  return req.messages.filter((m) => m.role === 'tool');
}
