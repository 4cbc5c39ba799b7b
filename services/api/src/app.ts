/**
 * Wires the API together: the person's token on every /api route (then the rate limit), CORS for the
 * renderer's origins, Host allowlist, no repeated query parameters, conversations and turns, approvals, /api/me and /api/tools, the knowledge base and
 * its routes, /readyz and /metrics.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import {
  guardHosts,
  httpCheck,
  isUnavailable,
  onShutdown,
  openStore,
  registerReadiness,
  storeCheck,
  warmUpLater,
  type AfterListen,
  verifierIdentity,
  type Logger,
  type Store,
} from '@msi/kit';
import {
  createApprovalPolicy,
  registerApprovalPolicyRoutes,
  type ApprovalPolicyTables,
} from './agent/approval-policy.js';
import { createApprovals } from './agent/approvals.js';
import { registerApprovalRoutes } from './agent/approvals.js';
import { offlineProvider } from './agent/offline/index.js';
import type { ModelProvider } from './agent/provider.js';
import { apiVerifier, bearerToken, requirePerson } from './auth.js';
import type { ApiConfig } from './config.js';
import { registerConversationRoutes } from './conversations/routes.js';
import {
  conversationMigrations,
  createConversationStore,
  type ConversationTables,
} from './conversations/store.js';
import { registerCopilotRoutes } from './copilot/routes.js';
import {
  createKnowledgeBase,
  offlineEmbedder,
  openaiEmbedder,
  registerKnowledgeRoutes,
} from './knowledge/index.js';
import { knowledgeMigrations, type KnowledgeTables } from './knowledge/schema.js';
import { createRateLimiter, rateLimit } from './limits.js';
import { createMcpGateway } from './mcp-clients.js';
import { registerHomeRoutes } from './home-routes.js';
import { registerMeRoutes } from './me-routes.js';
import { createMetrics } from './metrics.js';
import { hardeningChecks } from './hardening.js';
import { createTokenExchanger } from './token-exchange.js';
import { createMemoryEventLog } from './turns/events.js';
import { registerTurnRoutes } from './turns/routes.js';
import { createTurnRunner } from './turns/runner.js';
import { createTurnStore, turnMigrations, type TurnTables } from './turns/store.js';
import { createToolbox } from './tools.js';
import { registerToolRunRoutes } from './tool-runs.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The product's own documentation, next to the built service in the repository (or KNOWLEDGE_DOCS_DIR). */
export const DEFAULT_DOCS_DIR = resolve(here, '../../../resources/docs');

/** Knowledge uploads are JSON of up to 5 MB of text; message content has its own, smaller cap. */
export const API_BODY_LIMIT = 6 * 1024 * 1024;

/** The API's tables: conversations (module "main") and the knowledge base (module "knowledge"). */
export type ApiTables = ConversationTables & KnowledgeTables & TurnTables;

/** The API's database: one store for both modules ("the api database" in errors and /readyz). */
export type ApiData = Store<ApiTables>;

/**
 * Opens the API's database: with DATABASE_URL its own PostgreSQL database (`msi_api`), else the SQLite
 * file in the data dir, as before (a DataDirError when it cannot be used; its schema versions are kept).
 * Each module's migrations run through openStore; then one connection (SQLite) or pool (PostgreSQL)
 * serves both. On SQLite that matters: two connections to one file in one process would make a
 * conversation write wait, synchronously and with the event loop blocked, for the knowledge base's
 * write lock that cannot be released meanwhile; on one connection Kysely queues them instead.
 */
export async function openApiData(cfg: ApiConfig, log: Logger): Promise<ApiData> {
  const common = {
    service: 'api',
    url: cfg.DATABASE_URL,
    file: resolve(cfg.MSI_DATA_DIR, 'api', 'api.sqlite'),
    log,
    connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
  };
  const knowledge = await openStore<KnowledgeTables>({
    ...common,
    module: 'knowledge',
    migrations: knowledgeMigrations,
    poolMax: 1,
  });
  await knowledge.close();
  const main = await openStore<ApiTables>({
    ...common,
    migrations: conversationMigrations,
    poolMax: cfg.DATABASE_POOL_MAX,
  });
  // Turns refer to conversations: their module comes after main's.
  try {
    const turns = await openStore<TurnTables>({
      ...common,
      module: 'turns',
      migrations: turnMigrations,
      poolMax: 1,
    });
    await turns.close();
  } catch (err) {
    await main.close();
    throw err;
  }
  return main;
}

/** The API's routes on `app`; returns what runs once it listens (ingestion, warm-up, the ready line). */
export async function buildApi(
  app: FastifyInstance,
  log: Logger,
  cfg: ApiConfig,
  data: ApiData,
): Promise<AfterListen> {
  // The openai SDK is loaded only when a key is configured; the offline provider never needs it.
  const openai = cfg.OPENAI_API_KEY
    ? new (await import('openai')).default({
        apiKey: cfg.OPENAI_API_KEY,
        ...(cfg.OPENAI_BASE_URL ? { baseURL: cfg.OPENAI_BASE_URL } : {}),
      })
    : undefined;
  const provider: ModelProvider = openai
    ? (await import('./agent/openai-provider.js')).openaiProvider(openai, cfg.OPENAI_MODEL)
    : offlineProvider();
  const useOpenaiEmbeddings =
    cfg.EMBEDDING_PROVIDER === 'openai' || (cfg.EMBEDDING_PROVIDER === 'auto' && !!openai);
  const embedder =
    useOpenaiEmbeddings && openai
      ? openaiEmbedder(openai, ...(cfg.OPENAI_EMBEDDING_MODEL ? [cfg.OPENAI_EMBEDDING_MODEL] : []))
      : offlineEmbedder();

  const kb = createKnowledgeBase({
    store: data as unknown as Store<KnowledgeTables>,
    chromaUrl: cfg.CHROMA_URL,
    ...(cfg.CHROMA_TOKEN ? { chromaToken: cfg.CHROMA_TOKEN } : {}),
    chromaTimeoutMs: cfg.CHROMA_TIMEOUT_MS,
    embedder,
    docsDir: cfg.KNOWLEDGE_DOCS_DIR ? resolve(cfg.KNOWLEDGE_DOCS_DIR) : DEFAULT_DOCS_DIR,
    log: log.child({ module: 'knowledge' }),
  });
  onShutdown(() => kb.close());

  guardHosts(app, { publicUrl: cfg.publicUrl, extraHosts: cfg.ALLOWED_HOSTS });
  refuseRepeatedQuery(app);
  const metrics = createMetrics();
  metrics.register(app, cfg.METRICS_TOKEN);
  await app.register(cors, {
    origin: (origin, cb) =>
      cb(null, !origin || cfg.ALLOWED_ORIGINS.includes(origin) ? (origin ?? false) : false),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    // The renderer's trace context (docs/tracing.md); the request id is readable to quote in a report.
    allowedHeaders: [
      'authorization',
      'content-type',
      'last-event-id',
      'traceparent',
      'tracestate',
      'x-request-id',
    ],
    exposedHeaders: ['retry-after', 'location', 'x-request-id'],
    maxAge: 600,
  });

  const limiter = createRateLimiter(cfg.RATE_LIMIT_REQUESTS);
  const preHandler = [
    ...requirePerson(apiVerifier(cfg.IDP_ISSUER, cfg.audience, verifierIdentity(cfg))),
    rateLimit(limiter, cfg.RATE_LIMIT_REQUESTS),
  ];

  const exchanger = createTokenExchanger({
    issuer: cfg.IDP_ISSUER,
    clientId: cfg.API_CLIENT_ID,
    clientSecret: cfg.API_CLIENT_SECRET,
    target: cfg.TOKEN_EXCHANGE_TARGET,
    audiences: {
      [cfg.TICKETING_URL]: cfg.TICKETING_AUDIENCE ?? cfg.TICKETING_URL,
      [cfg.ORGANIZATIONS_URL]: cfg.ORGANIZATIONS_AUDIENCE ?? cfg.ORGANIZATIONS_URL,
    },
    log,
    onExchange: (audience, ok) => metrics.tokenExchange(audience, ok),
  });
  const mcp = createMcpGateway({
    servers: [
      { name: 'ticketing', url: cfg.TICKETING_URL },
      { name: 'organizations', url: cfg.ORGANIZATIONS_URL },
    ],
    exchanger,
    log,
    timeoutMs: cfg.MCP_TIMEOUT_MS,
  });
  onShutdown(() => mcp.close());
  const store = createConversationStore(data as unknown as Store<ConversationTables>);
  const approvals = createApprovals({ timeoutMs: cfg.APPROVAL_TIMEOUT_MS });
  const policy = createApprovalPolicy(data as unknown as Store<ApprovalPolicyTables>);

  registerMeRoutes(app, { preHandler, provider, mcp, docs: kb });
  // Turns are jobs: their events in this process (a shared log would plug in here), their state stored.
  const events = createMemoryEventLog();
  const turns = createTurnStore(data as unknown as Store<TurnTables>);
  const runner = createTurnRunner({
    turn: { provider, approvals, policy, store, metrics, log },
    conversations: store,
    turns,
    events,
    docs: kb,
    log: log.child({ module: 'turns' }),
  });
  // Turns a stopped process left running are marked interrupted before anyone can read them.
  await runner.recover();
  registerHomeRoutes(app, { preHandler, mcp });
  registerConversationRoutes(app, {
    preHandler,
    store,
    mcp,
    runner,
    turns,
    events,
    maxMessageChars: cfg.MAX_MESSAGE_CHARS,
  });
  registerTurnRoutes(app, { preHandler, turns, events, runner });
  registerToolRunRoutes(app, { preHandler, mcp, docs: kb, store });
  registerApprovalRoutes(app, approvals, { preHandler });
  registerApprovalPolicyRoutes(app, policy, {
    preHandler,
    async changingTools(req) {
      const session = mcp.session(req.principal!, bearerToken(req));
      try {
        const tools = await createToolbox(session, kb).list();
        return tools.filter((t) => t.requiresApproval).map((t) => t.name);
      } finally {
        await session.close();
      }
    },
  });
  registerCopilotRoutes(app, { preHandler, provider, mcp, docs: kb, embedder });
  // Fastify runs an array of preHandlers in order; the knowledge routes' option is typed for one.
  registerKnowledgeRoutes(app, kb, { preHandler: preHandler as unknown as preHandlerHookHandler });
  registerReadiness(app, [
    storeCheck(data),
    httpCheck('idp', `${cfg.IDP_ISSUER}/.well-known/openid-configuration`),
    httpCheck('ticketing', `${cfg.TICKETING_URL}/.well-known/oauth-protected-resource`),
    httpCheck('organizations', `${cfg.ORGANIZATIONS_URL}/.well-known/oauth-protected-resource`),
    { name: 'chroma', check: () => kb.readiness() },
    // Ready means a question can be answered from the documentation: its first ingestion is done.
    { name: 'documentation', check: async () => kb.ingestion() },
    // Production mode: the seed's Security Hardening checklist, each item a check (hardening.ts).
    ...(cfg.MSI_ENV === 'production' ? hardeningChecks(cfg) : []),
  ]);

  return (url) => {
    // Ingestion of the built-in documentation runs in the background; /readyz tells when Chroma is reachable.
    startKnowledge(kb, log);
    // The MCP client SDK was left out of start-up; load it once the stack's start is over, and run what
    // the provider's first step needs.
    warmUpLater(() => mcp.preload());
    warmUpLater(() => provider.warmUp?.());
    log.info({ url, provider: provider.name, model: provider.model, embedder: embedder.id }, 'api ready');
  };
}

/**
 * Starts the knowledge base in the background; while the database does not answer (it went away after
 * start-up) it tries again every few seconds rather than staying without its documentation.
 */
function startKnowledge(kb: ReturnType<typeof createKnowledgeBase>, log: Logger): void {
  let closed = false;
  onShutdown(() => {
    closed = true;
  });
  const attempt = (): void => {
    kb.start().catch((err: Error) => {
      if (!isUnavailable(err) || closed) return log.error({ err }, 'knowledge base did not start');
      log.warn({ err: err.message }, 'knowledge base waits for the database to start');
      setTimeout(attempt, 2000).unref();
    });
  };
  attempt();
}

/**
 * No API route takes a query parameter twice: `?q=a&q=b` is a 400 naming it, before any route reads it;
 * nor a NUL character in a parameter.
 */
function refuseRepeatedQuery(app: FastifyInstance): void {
  app.addHook('preValidation', async (req, reply) => {
    const query = req.query as Record<string, unknown> | undefined;
    const repeated = Object.entries(query ?? {}).find(([, v]) => Array.isArray(v));
    if (repeated) {
      return reply
        .status(400)
        .send({ error: 'invalid_request', message: `${repeated[0]} must be given once` });
    }
    // U+0000 in an id or a search: PostgreSQL's text cannot hold it, so it is refused on both backends.
    const params = req.params as Record<string, unknown> | undefined;
    const nul = [...Object.entries(params ?? {}), ...Object.entries(query ?? {})].find(
      ([, v]) => typeof v === 'string' && v.includes('\u0000'),
    );
    if (nul) {
      return reply
        .status(400)
        .send({ error: 'invalid_request', message: `${nul[0]} must not contain NUL characters` });
    }
  });
}
