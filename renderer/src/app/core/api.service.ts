import { Injectable, inject } from '@angular/core';
import { newTraceId, traceparent } from './trace';
import {
  API_ROUTES,
  apiPath,
  type ApiError,
  type ApprovalDecided,
  type ApprovalDecision,
  type ApprovalPolicy,
  type Citation,
  type ConversationDetail,
  type ConversationList,
  type ConversationSummary,
  type DocumentContent,
  type CopilotAction,
  type CopilotResult,
  type DocumentList,
  type Home,
  type KnowledgeDocument,
  type KnowledgeUpload,
  type Me,
  type Passage,
  type SearchResults,
  type ToolInfo,
  type ToolList,
  type TurnStopResult,
  type ToolRunResult,
} from '@msi/contracts/api';
import { AuthError, AuthService } from './auth.service';
import { ConfigService, messageOf } from './config';

/** A failed API call, with a message a person can act on. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** The trace of the user action this request belongs to (core/trace.ts); default a new one. */
  traceId?: string;
  signal?: AbortSignal;
  keepalive?: boolean;
}

/** The API over HTTP with the signed-in person's access token. */
@Injectable({ providedIn: 'root' })
export class ApiService {
  private readonly config = inject(ConfigService);
  private readonly auth = inject(AuthService);

  me(): Promise<Me> {
    return this.json('GET', API_ROUTES.me);
  }
  /** The person's home (GET /api/home); "today" starts at their local midnight. */
  home(dayStart = localMidnight()): Promise<Home> {
    return this.json('GET', `${API_ROUTES.home}?dayStart=${encodeURIComponent(dayStart)}`);
  }
  async tools(): Promise<ToolInfo[]> {
    return (await this.json<ToolList>('GET', API_ROUTES.tools)).tools;
  }

  async conversations(query = ''): Promise<ConversationSummary[]> {
    const q = query.trim() ? `?q=${encodeURIComponent(query.trim())}` : '';
    return (await this.json<ConversationList>('GET', `${API_ROUTES.conversations}${q}`))
      .conversations;
  }
  createConversation(title?: string): Promise<ConversationSummary> {
    return this.json('POST', API_ROUTES.conversations, { body: title ? { title } : {} });
  }
  conversation(id: string, signal?: AbortSignal): Promise<ConversationDetail> {
    return this.json('GET', apiPath(API_ROUTES.conversation, { id }), { signal });
  }
  renameConversation(id: string, title: string): Promise<ConversationSummary> {
    return this.json('PATCH', apiPath(API_ROUTES.conversation, { id }), { body: { title } });
  }
  pinConversation(id: string, pinned: boolean): Promise<ConversationSummary> {
    return this.json('PATCH', apiPath(API_ROUTES.conversation, { id }), { body: { pinned } });
  }
  deleteConversation(id: string, keepalive = false): Promise<void> {
    return this.json('DELETE', apiPath(API_ROUTES.conversation, { id }), { keepalive });
  }

  /** Starts a turn; the answer is a `text/event-stream` body (read it with `readTurn`). Aborting stops
   *  the reading, not the turn (`stopTurn` does). */
  async sendMessage(
    conversationId: string,
    content: string,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('POST', apiPath(API_ROUTES.messages, { id: conversationId }), {
      body: { content },
      signal,
    });
    if (!response.body)
      throw new ApiRequestError('The API answered without a stream.', 'bad_response');
    return response.body;
  }
  /** A turn's events again: after `lastEventId` (all of them without one), to its end. Abort to stop reading. */
  async turnEvents(
    turnId: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', apiPath(API_ROUTES.turnEvents, { id: turnId }), {
      signal,
      ...(lastEventId ? { headers: { 'Last-Event-ID': lastEventId } } : {}),
    });
    if (!response.body)
      throw new ApiRequestError('The API answered without a stream.', 'bad_response');
    return response.body;
  }
  /** Stops a running turn (its stream then ends with `cancelled`). */
  stopTurn(turnId: string): Promise<TurnStopResult> {
    return this.json('POST', apiPath(API_ROUTES.turnStop, { id: turnId }));
  }
  /** Runs one tool for the signed-in person (their own click: no approval), recorded in `conversationId`. */
  runTool(
    server: string,
    name: string,
    args: Record<string, unknown>,
    conversationId?: string | null,
  ): Promise<ToolRunResult> {
    return this.json('POST', apiPath(API_ROUTES.toolRun, { server, name }), {
      body: { arguments: args, ...(conversationId ? { conversationId } : {}) },
    });
  }
  /** The decision; with `args` (the form's edited arguments) and `remember` (allow for this conversation). */
  decide(
    approvalId: string,
    decision: ApprovalDecision['decision'],
    extra: Omit<ApprovalDecision, 'decision'> = {},
  ): Promise<ApprovalDecided> {
    return this.json('POST', apiPath(API_ROUTES.approval, { id: approvalId }), {
      body: { decision, ...extra },
    });
  }

  approvalPolicy(): Promise<ApprovalPolicy> {
    return this.json('GET', API_ROUTES.approvalPolicy);
  }
  setApprovalPolicy(alwaysAsk: string[]): Promise<ApprovalPolicy> {
    return this.json('PUT', API_ROUTES.approvalPolicy, { body: { alwaysAsk } });
  }

  /** A copilot action on a ticket (Summarize, Draft reply, Similar tickets). */
  copilot<A extends CopilotAction>(
    number: string,
    action: A,
    signal?: AbortSignal,
  ): Promise<Extract<CopilotResult, { action: A }>> {
    return this.json('POST', apiPath(API_ROUTES.copilot, { number, action }), { signal });
  }

  async documents(): Promise<KnowledgeDocument[]> {
    return (await this.json<DocumentList>('GET', API_ROUTES.documents)).documents;
  }
  document(id: string): Promise<KnowledgeDocument> {
    return this.json('GET', apiPath(API_ROUTES.document, { id }));
  }
  upload(upload: KnowledgeUpload): Promise<KnowledgeDocument> {
    return this.json('POST', API_ROUTES.documents, { body: upload });
  }
  deleteDocument(id: string): Promise<void> {
    return this.json('DELETE', apiPath(API_ROUTES.document, { id }));
  }
  async search(q: string, k = 5): Promise<Citation[]> {
    const query = `?q=${encodeURIComponent(q)}&k=${k}`;
    return (await this.json<SearchResults>('GET', `${API_ROUTES.search}${query}`)).results;
  }
  documentContent(id: string): Promise<DocumentContent> {
    return this.json('GET', apiPath(API_ROUTES.documentContent, { id }));
  }
  passage(chunkId: string): Promise<Passage> {
    return this.json('GET', apiPath(API_ROUTES.chunk, { chunkId }));
  }

  private async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiRequestError(
        `The API sent an unreadable answer to ${method} ${path}.`,
        'bad_response',
        response.status,
      );
    }
  }

  /** Sends with the access token; on 401 refreshes once and retries, then signs out. */
  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    retried = false,
  ): Promise<Response> {
    const { apiUrl } = this.config.config;
    let token: string;
    try {
      token = retried ? await this.auth.refresh() : await this.auth.accessToken();
    } catch (error) {
      throw new ApiRequestError(
        messageOf(error),
        error instanceof AuthError ? error.code : 'signed_out',
        401,
      );
    }
    // One call is one user action: its trace, which a retry after a refresh keeps.
    const traceId = options.traceId ?? newTraceId();
    const headers: Record<string, string> = {
      ...options.headers,
      traceparent: traceparent(traceId),
      Authorization: `Bearer ${token}`,
      Accept: 'application/json, text/event-stream',
    };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(apiUrl + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        keepalive: options.keepalive,
      });
    } catch (error) {
      if (options.signal?.aborted) throw new ApiRequestError('Stopped.', 'cancelled');
      throw new ApiRequestError(
        `Cannot reach the API at ${apiUrl} (${messageOf(error)}). Check that it is running on the Status page.`,
        'unreachable',
      );
    }
    if (response.ok) return response;
    if (response.status === 401 && !retried)
      return this.send(method, path, { ...options, traceId }, true);
    const body = (await response.json().catch(() => null)) as Partial<ApiError> | null;
    if (response.status === 401) void this.auth.expire('Your session has ended. Sign in again.');
    throw new ApiRequestError(
      describe(response.status, body),
      body?.error ?? `http_${response.status}`,
      response.status,
    );
  }
}

/** Today's local midnight as an ISO time with the local offset (e.g. 2026-12-01T00:00:00+01:00). */
export function localMidnight(now = new Date()): string {
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const day = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `${day}T00:00:00${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

function describe(status: number, body: Partial<ApiError> | null): string {
  if (status === 429)
    return body?.message ?? 'Too many requests in a short time. Wait a minute, then try again.';
  if (body?.message) return body.message;
  if (status >= 500) return `The API failed (HTTP ${status}). Check its log on the Status page.`;
  return `The API refused the request (HTTP ${status}).`;
}
