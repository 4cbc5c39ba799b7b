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

/** GET /api/conversations?q=words → { conversations } (newest first; with q, those whose title or any
 *  message has every word). POST /api/conversations {title?} → 201. */
export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  /** Kept on top of the list (PATCH {pinned}). */
  pinned: boolean;
  /** With `q`: a line of the newest message that has the first word, around it. */
  match?: string;
}

/** GET /api/conversations/:id. PATCH /api/conversations/:id {title?, pinned?} → ConversationSummary. DELETE → 204. */
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
  approval?: ToolCallApproval;
}

/** How a change was settled: by the person in the dialog, or automatically by a rule (`auto`). */
export interface ToolCallApproval {
  approvalId: string;
  decision: 'pending' | 'approved' | 'denied' | 'timeout' | 'cancelled';
  /** Approved without asking, by this rule (e.g. comments allowed for this conversation). */
  auto?: AutoApproval;
  /** The arguments the assistant proposed, when the person edited them before approving (`args` is what ran). */
  proposed?: Record<string, unknown>;
}

/** The rule that approved a change without asking, as the approval record keeps it. */
export interface AutoApproval {
  /** `conversation:<tool>` or `conversation:update_ticket.status`: allowed for this conversation. */
  rule: string;
  /** In words: "Status changes allowed for this conversation by Alex Rivera at 23:41". */
  label: string;
  grantedBy: string;
  grantedAt: string;
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
    /** The tool's input JSON Schema: the dialog shows the arguments as a form of these fields. */
    schema?: Record<string, unknown>;
    /** What the dialog may offer besides Approve and Deny. */
    policy?: ApprovalOffer;
  };
  /** The approval was settled (by the person, a timeout, or the turn's end): its dialog closes. */
  'approval.decided': {
    approvalId: string;
    callId: string;
    decision: 'approved' | 'denied' | 'timeout' | 'cancelled';
    /** Approved with arguments the person edited: what runs (`proposed` is what the assistant asked for). */
    args?: Record<string, unknown>;
    proposed?: Record<string, unknown>;
  };
  /** A change approved without asking, by a rule of the approval policy (it runs next). */
  'approval.auto': { approvalId: string; callId: string; tool: string; auto: AutoApproval };
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

/**
 * POST /api/approvals/:id. With `args` (approve only) the edited arguments run instead of the proposed ones:
 * checked again against the tool's schema (400 and the approval stays pending when they do not fit; fields
 * that name what is changed, e.g. the ticket number, cannot be edited). `remember: true` also allows this
 * kind of change for the rest of the conversation, where the policy offers it (400 otherwise).
 */
export interface ApprovalDecision {
  decision: 'approve' | 'deny';
  args?: Record<string, unknown>;
  remember?: boolean;
}
export interface ApprovalDecided {
  approvalId: string;
  decision: 'approved' | 'denied';
  /** The rule stored by `remember`, when one was. */
  rule?: string;
}

/** What the approval dialog may offer: "allow for this conversation" for low-risk changes only. */
export interface ApprovalOffer {
  /** Set when this change may be allowed for the rest of the conversation: the rule and its words. */
  remember?: { rule: string; label: string };
  /** An administrator set this tool to always ask: nothing is remembered for it. */
  alwaysAsk: boolean;
  /** Argument names that identify what is changed and are shown read-only. */
  locked: string[];
}

/**
 * GET /api/approval-policy → ApprovalPolicy (everyone: what may be remembered). PUT /api/approval-policy
 * {alwaysAsk: string[]} (administrators; others get 404) → ApprovalPolicy. Tools in `alwaysAsk` are asked
 * every time, whatever was allowed for a conversation.
 */
export interface ApprovalPolicy {
  alwaysAsk: string[];
  /** The kinds of change "allow for this conversation" is offered for (never permission changes). */
  rememberable: { rule: string; tool: string; label: string }[];
  updatedBy?: string;
  updatedAt?: string;
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
  /** The ingestion job an upload started (202 only): GET /api/jobs/:id for its progress and failure reason. */
  jobId?: string;
}

/**
 * GET /api/jobs/:id → JobStatus: background work (ingesting a document, removing vectors, a backup) queued
 * by the API and run by a worker (docs/jobs.md). Only the person who started it sees it (others: 404
 * `not_found`); jobs the system started are visible to the staff who may change knowledge (built-in
 * documentation) or, for a scheduled backup, to admins.
 */
export interface JobStatus {
  id: string;
  kind: 'ingest' | 'sweep' | 'backup';
  /** `retrying`: the last attempt failed (see `error`) and the next one starts at `retryAt`. */
  state: 'waiting' | 'active' | 'retrying' | 'completed' | 'failed';
  /** `step`: what the job does now (a backup: `dumping the api database (…)`, at the end `wrote <archive>`). */
  progress: { done: number; total: number; step?: string };
  /** Attempts that failed so far, and how many the job may make before it fails. */
  attemptsMade: number;
  attempts: number;
  /** Why the last attempt failed (while retrying or waiting for a dependency), or why the job failed. */
  error?: string;
  retryAt?: string;
  /** The knowledge document an ingestion job is for. */
  documentId?: string;
  createdAt: string;
  finishedAt?: string;
}

/** POST /api/backups (admins; anyone else: 404 `not_found`) → 202 BackupStarted: a backup job (docs/jobs.md). */
export interface BackupStarted {
  jobId: string;
}

/** POST /api/knowledge/documents (JSON, at most 5 MB) → 202 KnowledgeDocument with its `jobId`; poll
 *  GET /api/jobs/:id (or GET /api/knowledge/documents/:id) for progress. DELETE /api/knowledge/documents/:id → 204. */
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

/** A ticket as the home page lists it (the ticketing server's summary, the fields a row shows). */
export interface HomeTicket {
  number: string;
  title: string;
  status: 'open' | 'in_progress' | 'waiting_on_customer' | 'resolved' | 'closed';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  organization: string;
  organizationName: string;
  assignee: string | null;
  updatedAt: string;
  slaDueAt: string;
  slaBreached: boolean;
}

/** One list of tickets on the home page: `total` may be more than `tickets` shows. */
export interface HomeTicketList {
  total: number;
  tickets: HomeTicket[];
}

/** An organization's service status as the home page shows it (its deployments' states). */
export interface HomeOrganization {
  slug: string;
  name: string;
  status: 'live' | 'degraded' | 'down';
  deployments: { product: string; status: 'live' | 'degraded' | 'down'; version: string }[];
}

/**
 * GET /api/home: what the signed-in person's home shows, read with their own rights. Each part is there
 * for the roles it is for: `queue` (agents and up: unresolved tickets assigned to them, SLA at risk
 * first), `unassignedUrgent` and `breachesToday` (supervisors and admins), `myTickets` and
 * `organizations` (customers: what they reported, their organizations' status). `suggestions` only name
 * things this person can see. `unavailable` says which server did not answer (its parts are left out).
 */
export interface Home {
  role: Role | null;
  queue?: HomeTicketList;
  unassignedUrgent?: HomeTicketList;
  breachesToday?: HomeTicketList;
  myTickets?: HomeTicketList;
  organizations?: HomeOrganization[];
  suggestions: string[];
  unavailable: { server: McpServerName; message: string }[];
}

/** GET /api/knowledge/documents/:id/content: the whole document as it was added ("Open document"). */
export interface DocumentContent {
  id: string;
  title: string;
  mediaType: string;
  content: string;
}

/**
 * Copilot actions on a ticket: POST /api/tickets/:number/copilot/:action (no body) → CopilotResult.
 * Support staff only, with their own rights: a customer, or a ticket the person cannot see, gets 404.
 * The `offline` provider answers extractively (sentences taken from the ticket and the documentation,
 * `extractive: true`, and `note` says so); `openai` writes with the model from the same material.
 */
export const COPILOT_ACTIONS = ['summarize', 'draft_reply', 'similar'] as const;
export type CopilotAction = (typeof COPILOT_ACTIONS)[number];

interface CopilotBase {
  ticket: string;
  provider: ProviderName;
  model?: string;
  /** Sentences taken from the sources rather than written by a model. */
  extractive: boolean;
  /** For the person: how this was made (Basic mode, search on one leg only, …). */
  note?: string;
  /** Time the API took (ms). */
  ms: number;
}
export interface TicketBrief {
  problem: string;
  tried: string;
  status: string;
  nextStep: string;
}
export interface CopilotSummary extends CopilotBase {
  action: 'summarize';
  summary: TicketBrief;
}
export interface CopilotDraft extends CopilotBase {
  action: 'draft_reply';
  /** Markdown with [n] markers for `citations[n-1]`; the person edits it and sends it as a comment. */
  draft: string;
  citations: Citation[];
}
export interface SimilarTicket {
  number: string;
  title: string;
  organization: string;
  organizationName: string;
  status: string;
  product: string;
  resolution: string | null;
  resolvedAt: string | null;
  /** Fused rank score (higher is more alike). */
  score: number;
  /** Which legs of the search found it. */
  matchedBy: ('lexical' | 'semantic')[];
}
export interface CopilotSimilar extends CopilotBase {
  action: 'similar';
  tickets: SimilarTicket[];
}
export type CopilotResult = CopilotSummary | CopilotDraft | CopilotSimilar;

/**
 * POST /api/tools/:server/:name — runs one tool the person's GET /api/tools lists, with their own rights,
 * because they asked for it themselves (a button in the ticket panel or org card): no approval. With
 * `conversationId` the call is recorded in that conversation as a tool call of an answer (`message`).
 * Errors: 400 invalid_request (the arguments do not fit the tool's schema), 404 not_found (no such tool
 * for this person, no such conversation, or a ticket/organization they cannot see), 422 tool_error
 * (the tool refused: e.g. a customer changing the assignee), 503 service_unavailable.
 */
export interface ToolRunRequest {
  conversationId?: string;
  arguments: Record<string, unknown>;
}
export interface ToolRunResult {
  call: ToolCall;
  /** The message that records the call, when a conversation was given. */
  message?: Message;
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
  home: '/api/home',
  tools: '/api/tools',
  toolRun: '/api/tools/:server/:name',
  conversations: '/api/conversations',
  conversation: '/api/conversations/:id',
  messages: '/api/conversations/:id/messages',
  approval: '/api/approvals/:id',
  turnEvents: '/api/turns/:id/events',
  turnStop: '/api/turns/:id/stop',
  documents: '/api/knowledge/documents',
  document: '/api/knowledge/documents/:id',
  documentContent: '/api/knowledge/documents/:id/content',
  search: '/api/knowledge/search',
  chunk: '/api/knowledge/chunks/:chunkId',
  job: '/api/jobs/:id',
  backups: '/api/backups',
  copilot: '/api/tickets/:number/copilot/:action',
  approvalPolicy: '/api/approval-policy',
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
