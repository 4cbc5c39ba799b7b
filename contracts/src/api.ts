/**
 * The API's wire types (HTTP JSON and Server-Sent Events) and its paths, for the API itself, the
 * renderer and the e2e suite. Types and plain constants only: the renderer bundles it.
 *
 * Every error body is `ApiError`. Every route except /healthz, /readyz and /metrics needs
 * `Authorization: Bearer <access token whose audience is the API>`.
 */
import type { Can, Role } from './roles.js';

export type { Ability, Can, Role } from './roles.js';
export type ProviderName = 'openai' | 'offline';
export type McpServerName = 'ticketing' | 'organizations';

export interface ApiError {
  /** Machine-readable: invalid_request, unauthorized, invalid_token, not_found, rate_limited,
   *  payload_too_large, model_error, tool_error, cancelled, internal_error, … */
  error: string;
  /** Says what was wrong, in words a person can act on. */
  message: string;
}

/** GET /api/me */
export interface Me {
  sub: string;
  username: string;
  name: string;
  email?: string;
  roles: Role[];
  organizations: string[];
  provider: ProviderName;
  model?: string;
  /** What this person may do (roles.ts, CAN): the renderer shows controls from these, never from roles. */
  can: Can;
}

/** GET /api/tools → { tools } : what this user may call. */
export interface ToolInfo {
  server: McpServerName | 'knowledge';
  name: string;
  title: string;
  description: string;
  readOnly: boolean;
  destructive: boolean;
  /** Changes data: the person must approve each call. */
  requiresApproval: boolean;
}

/** GET /api/conversations?q=text → { conversations } (newest first). POST /api/conversations {title?} → 201. */
export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}

/** GET /api/conversations/:id. PATCH /api/conversations/:id {title} → ConversationSummary. DELETE → 204. */
export interface ConversationDetail extends ConversationSummary {
  messages: Message[];
  /** The turn still answering in this conversation (its answer is not among `messages` yet): read its
   *  events (GET /api/turns/:id/events) to show it where it is. */
  activeTurn?: ActiveTurn;
}

/** How a turn ended; `interrupted`: the API stopped while it ran (its answer says what is known). */
export type TurnStatus = 'running' | 'complete' | 'cancelled' | 'error' | 'interrupted';

export interface ActiveTurn {
  id: string;
  status: 'running';
  startedAt: string;
  /** The change waiting for the person's decision, when there is one (stored: it survives a reconnect). */
  approval?: StreamEvents['approval.required'];
}

/** POST /api/turns/:id/stop → 202 (stopping) or 200 (it had already ended), with the turn's status. */
export interface TurnStopResult {
  turnId: string;
  status: TurnStatus;
}

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  /** For assistant messages: how the turn ended (a turn cut off by the API stopping is `error` with
   *  `error.error` 'interrupted'). */
  status: 'complete' | 'cancelled' | 'error';
  provider?: ProviderName;
  toolCalls: ToolCall[];
  citations: Citation[];
  usage?: Usage;
  error?: ApiError;
}

export interface ToolCall {
  callId: string;
  server: McpServerName | 'knowledge';
  tool: string;
  args: Record<string, unknown>;
  ok?: boolean;
  /** The tool's structuredContent (or text when it has none). */
  result?: unknown;
  /** Why it failed; for an approved change cut off while it was being made (no `ok`), it starts with
   *  OUTCOME_UNKNOWN: it may have been made. */
  error?: string;
  ms?: number;
  approval?: { approvalId: string; decision: 'pending' | 'approved' | 'denied' | 'timeout' | 'cancelled' };
}

/** The words of an approved change whose result never came back (the API stopped while it ran). */
export const OUTCOME_UNKNOWN = 'Outcome unknown — check the ticket';

export interface Citation {
  documentId: string;
  /** Opens the cited passage: GET /api/knowledge/chunks/:chunkId → Passage. */
  chunkId: string;
  title: string;
  section: string;
  snippet: string;
  score: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * A turn is a job: POST /api/conversations/:id/messages {content} starts it and answers
 * `text/event-stream` with these events (SSE `event:` is the key, `data:` the JSON value, `id:` the
 * event's id, opaque and increasing within the turn). The first event is `turn.started`; the last one is
 * `done`, `cancelled` or `error`. Closing the stream does not cancel the turn: GET /api/turns/:id/events
 * (with `Last-Event-ID: <id of the last event seen>`, or none for all of them) reads it again from there,
 * with no event missing or repeated; POST /api/turns/:id/stop cancels it.
 */
export interface StreamEvents {
  'turn.started': { turnId: string; conversationId: string };
  'message.delta': { text: string };
  'tool.started': { callId: string; server: string; tool: string; args: Record<string, unknown> };
  'tool.completed': { callId: string; ok: boolean; result?: unknown; error?: string; ms: number };
  /** `callId` is the `tool.started` call that waits for this decision. */
  'approval.required': {
    approvalId: string;
    callId: string;
    tool: string;
    args: Record<string, unknown>;
    summary: string;
  };
  /** The approval was settled (by the person, a timeout, or the turn's end): its dialog closes. */
  'approval.decided': {
    approvalId: string;
    callId: string;
    decision: 'approved' | 'denied' | 'timeout' | 'cancelled';
  };
  citations: { sources: Citation[] };
  usage: Usage;
  done: { messageId: string };
  /** Stopped (POST /api/turns/:id/stop, or the conversation was deleted): the answer so far is saved. */
  cancelled: { messageId: string };
  /** `error: 'interrupted'` when the API stopped while the turn ran. */
  error: ApiError;
}

/** The events that end a turn's stream. */
export const TERMINAL_EVENTS: readonly StreamEventName[] = ['done', 'cancelled', 'error'];
export type StreamEventName = keyof StreamEvents;

/** POST /api/approvals/:id */
export interface ApprovalDecision {
  decision: 'approve' | 'deny';
}

/** Knowledge base. GET /api/knowledge/documents → { documents }. */
export interface KnowledgeDocument {
  id: string;
  title: string;
  filename: string;
  mediaType: string;
  bytes: number;
  source: 'builtin' | 'upload';
  status: 'queued' | 'ingesting' | 'ready' | 'failed';
  /** Chunks embedded and indexed so far, of `chunksTotal`. */
  chunksDone: number;
  chunksTotal: number;
  error?: string;
  createdAt: string;
}

/** POST /api/knowledge/documents (JSON, at most 5 MB) → 202 KnowledgeDocument; poll
 *  GET /api/knowledge/documents/:id for progress. DELETE /api/knowledge/documents/:id → 204. */
export interface KnowledgeUpload {
  filename: string;
  /** text/markdown or text/plain (taken from the file name when absent). */
  mediaType?: string;
  title?: string;
  content: string;
}

/** GET /api/knowledge/search?q=…&k=5 → { results: Citation[] }. GET /api/knowledge/chunks/:chunkId → Passage. */
export interface Passage {
  chunkId: string;
  documentId: string;
  title: string;
  section: string;
  text: string;
}

/** The bodies that wrap a list. */
export interface ToolList {
  tools: ToolInfo[];
}
export interface ConversationList {
  conversations: ConversationSummary[];
}
export interface DocumentList {
  documents: KnowledgeDocument[];
}
export interface SearchResults {
  results: Citation[];
  /** Set when search ran on one leg only (e.g. the vector store did not answer in time). */
  note?: string;
}

/** The API's routes as the server registers them (Fastify `:param` syntax); clients fill them with `apiPath`. */
export const API_ROUTES = {
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
  me: '/api/me',
  tools: '/api/tools',
  conversations: '/api/conversations',
  conversation: '/api/conversations/:id',
  messages: '/api/conversations/:id/messages',
  approval: '/api/approvals/:id',
  turnEvents: '/api/turns/:id/events',
  turnStop: '/api/turns/:id/stop',
  documents: '/api/knowledge/documents',
  document: '/api/knowledge/documents/:id',
  search: '/api/knowledge/search',
  chunk: '/api/knowledge/chunks/:chunkId',
} as const;
export type ApiRoute = (typeof API_ROUTES)[keyof typeof API_ROUTES];

/** The `:name` parameters of a route. */
export type RouteParams<R extends string> = R extends `${string}:${infer P}/${infer Rest}`
  ? P | RouteParams<`/${Rest}`>
  : R extends `${string}:${infer P}`
    ? P
    : never;

/** A route with its parameters filled in (URI-encoded): `apiPath(API_ROUTES.conversation, { id })`. */
export function apiPath<R extends ApiRoute>(
  route: R,
  ...[params]: [RouteParams<R>] extends [never] ? [] : [Record<RouteParams<R>, string>]
): string {
  return route.replace(/:(\w+)/g, (_, name: string) => {
    const value = (params as Record<string, string> | undefined)?.[name];
    if (value === undefined) throw new Error(`apiPath: ${route} needs ${name}`);
    return encodeURIComponent(value);
  });
}
