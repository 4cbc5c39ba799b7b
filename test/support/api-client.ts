/**
 * A client of the API for tests: JSON calls with a bearer token, and one turn
 * (`POST /api/conversations/:id/messages`) read as Server-Sent Events, with a hook per event so a test
 * can approve, deny or hang up mid-turn; and `ApiClient`, typed reads for one person (e2e, tests).
 */
import {
  API_ROUTES,
  apiPath,
  type ConversationDetail,
  type DocumentList,
  type KnowledgeDocument,
  type Passage,
} from '@msi/contracts/api';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** The event's id (what `Last-Event-ID` names to resume after it). */
  id?: string;
}

/** One API request with a bearer token (and a JSON body when given). */
export function apiRequest(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** One JSON call: status, parsed body (undefined when empty) and headers, whatever the status. */
export async function call<T = Record<string, unknown>>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await apiRequest(base, token, method, path, body);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** The API as one person sees it: typed reads of what it stores, to check against what the app shows. */
export class ApiClient {
  constructor(
    readonly apiUrl: string,
    private readonly token: string,
  ) {}

  request(method: string, path: string, body?: unknown): Promise<Response> {
    return apiRequest(this.apiUrl, this.token, method, path, body);
  }

  async json<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The conversation, or undefined when the API says it does not exist (404). */
  async conversation(id: string): Promise<ConversationDetail | undefined> {
    const res = await this.request('GET', apiPath(API_ROUTES.conversation, { id }));
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET conversation ${id}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as ConversationDetail;
  }

  async documents(): Promise<KnowledgeDocument[]> {
    return (await this.json<DocumentList>(API_ROUTES.documents)).documents;
  }

  passage(chunkId: string): Promise<Passage> {
    return this.json<Passage>(apiPath(API_ROUTES.chunk, { chunkId }));
  }
}

export interface TurnResult {
  status: number;
  events: SseEvent[];
  /** All message.delta texts joined. */
  text: string;
  of(name: string): Record<string, unknown>[];
}

/**
 * Sends `content` and reads the event stream to its end. `onEvent` runs for each event as it arrives;
 * returning 'stop' hangs up (the turn goes on: read it again with `readTurnEvents`, stop it with
 * POST /api/turns/:id/stop).
 */
export async function sendMessage(
  base: string,
  token: string,
  conversationId: string,
  content: string,
  onEvent?: (e: SseEvent) => void | 'stop' | Promise<void | 'stop'>,
  /** More request headers (a `traceparent`, as the renderer sends). */
  headers: Record<string, string> = {},
): Promise<TurnResult> {
  const ac = new AbortController();
  const res = await fetch(`${base}/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: {
      ...headers,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({ content }),
    signal: ac.signal,
  });
  return readEvents(res, ac, onEvent);
}

/** GET /api/turns/:id/events (after `lastEventId` when given), read like `sendMessage`. */
export async function readTurnEvents(
  base: string,
  token: string,
  turnId: string,
  lastEventId?: string,
  onEvent?: (e: SseEvent) => void | 'stop' | Promise<void | 'stop'>,
): Promise<TurnResult> {
  const ac = new AbortController();
  const res = await fetch(`${base}${apiPath(API_ROUTES.turnEvents, { id: turnId })}`, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
      ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
    },
    signal: ac.signal,
  });
  return readEvents(res, ac, onEvent);
}

async function readEvents(
  res: Response,
  ac: AbortController,
  onEvent?: (e: SseEvent) => void | 'stop' | Promise<void | 'stop'>,
): Promise<TurnResult> {
  const events: SseEvent[] = [];
  const result = (): TurnResult => ({
    status: res.status,
    events,
    text: events
      .filter((e) => e.event === 'message.delta')
      .map((e) => e.data.text)
      .join(''),
    of: (name) => events.filter((e) => e.event === name).map((e) => e.data),
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    events.push({ event: 'http_error', data: body });
    return result();
  }
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const id = /^id: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        const e: SseEvent = {
          event,
          data: JSON.parse(data) as Record<string, unknown>,
          ...(id ? { id } : {}),
        };
        events.push(e);
        if ((await onEvent?.(e)) === 'stop') {
          ac.abort();
          return result();
        }
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  }
  return result();
}
