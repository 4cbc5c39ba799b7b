/**
 * The API's wire types (HTTP JSON and Server-Sent Events), shared with the renderer. Types only: no
 * imports, no runtime code, so the Angular app can include this file as it is.
 *
 * Every error body is `ApiError`. Every route except /healthz, /readyz and /metrics needs
 * `Authorization: Bearer <access token whose audience is the API>`.
 */

export type Role = 'customer' | 'agent' | 'supervisor' | 'admin';
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
}

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  /** For assistant messages: how the turn ended. */
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
  error?: string;
  ms?: number;
  approval?: { approvalId: string; decision: 'pending' | 'approved' | 'denied' | 'timeout' | 'cancelled' };
}

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

/** POST /api/conversations/:id/messages {content} answers `text/event-stream` with these events
 *  (SSE `event:` is the key, `data:` the JSON value). Closing the request cancels the turn. */
export interface StreamEvents {
  'message.delta': { text: string };
  'tool.started': { callId: string; server: string; tool: string; args: Record<string, unknown> };
  'tool.completed': { callId: string; ok: boolean; result?: unknown; error?: string; ms: number };
  'approval.required': { approvalId: string; tool: string; args: Record<string, unknown>; summary: string };
  citations: { sources: Citation[] };
  usage: Usage;
  done: { messageId: string };
  error: ApiError;
}
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
