/**
 * Wires the API together: the person's token on every /api route (then the rate limit), CORS for the
 * renderer's origins, Host allowlist, no repeated query parameters, conversations and turns, approvals, /api/me and /api/tools, the knowledge base and
 * its routes, /readyz and /metrics.
 */
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import {
  connectRedis,
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
  scrapePaths,
  serviceMetrics,
} from '@msi/kit';
import {
  createApprovalPolicy,
  registerApprovalPolicyRoutes,
  type ApprovalPolicyTables,
} from './agent/approval-policy.js';
import { createApprovals } from './agent/approvals.js';
import { registerApprovalRoutes } from './agent/approvals.js';
import { createSharedApprovals } from './agent/shared-approvals.js';
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
import { registerJobRoutes } from './jobs/routes.js';
import { openBackground, type Background } from './jobs/setup.js';
import { setUpBackupJobs } from './backups/backup-job.js';
import { registerBackupRoutes } from './backups/routes.js';
import { personRateLimit } from './limits.js';
import { createMcpGateway } from './mcp-clients.js';
import { registerHomeRoutes } from './home-routes.js';
import { registerMeRoutes } from './me-routes.js';
import { createMetrics } from './metrics.js';
import { meteredProvider } from './agent/metered-provider.js';
import { hardeningChecks } from './hardening.js';
import { memoryTokenCache, redisTokenCache } from './token-cache.js';
import { createTokenExchanger } from './token-exchange.js';
import { createInstanceBus } from './turns/bus.js';
import { createMemoryEventLog } from './turns/events.js';
import { createTurnLeases } from './turns/lease.js';
import { createRedisEventLog } from './turns/redis-events.js';
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
    readUrl: cfg.DATABASE_READ_URL,
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
  // The API's metrics join the kit's (GET /metrics; start-up registered them, an in-process app gets them here).
  const metrics = createMetrics(
    serviceMetrics(app, { token: cfg.METRICS_TOKEN, memoryLimitMb: cfg.METRICS_MEMORY_LIMIT_MB }).registry,
    {
      prices: cfg.MODEL_PRICES,
      budgets: {
        tokensPerDay: cfg.MODEL_BUDGET_TOKENS_PER_DAY,
        callsPerDay: cfg.MODEL_BUDGET_CALLS_PER_DAY,
        usdPerDay: cfg.MODEL_BUDGET_USD_PER_DAY,
      },
    },
  );
  metrics.register(app);
  const provider: ModelProvider = meteredProvider(
    openai
      ? (await import('./agent/openai-provider.js')).openaiProvider(openai, cfg.OPENAI_MODEL)
      : offlineProvider(),
    metrics,
  );
  const useOpenaiEmbeddings =
    cfg.EMBEDDING_PROVIDER === 'openai' || (cfg.EMBEDDING_PROVIDER === 'auto' && !!openai);
  const embedder =
    useOpenaiEmbeddings && openai
      ? openaiEmbedder(openai, ...(cfg.OPENAI_EMBEDDING_MODEL ? [cfg.OPENAI_EMBEDDING_MODEL] : []))
      : offlineEmbedder();

  // REDIS_URL: what every instance must share (rate-limit counters, exchanged tokens, turns, jobs, the
  // search cache) lives in Redis, on one connection (BullMQ opens its own).
  const redis = cfg.REDIS_URL
    ? await connectRedis({
        url: cfg.REDIS_URL,
        prefix: cfg.REDIS_KEY_PREFIX,
        log,
        connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
      })
    : undefined;
  if (redis) onShutdown(() => redis.close());
  // Ingestion runs as jobs: BullMQ with REDIS_URL (any worker process takes them), else in-process.
  const background = await openBackground(cfg, log, redis);
  // Backups are jobs too (BACKUP_SCHEDULE enqueues them; POST /api/backups one now).
  await setUpBackupJobs(background.jobs, cfg, log);
  const kb = createKnowledgeBase({
    jobs: background.jobs,
    cache: background.cache,
    store: data as unknown as Store<KnowledgeTables>,
    chromaUrl: cfg.CHROMA_URL,
    ...(cfg.CHROMA_TOKEN ? { chromaToken: cfg.CHROMA_TOKEN } : {}),
    chromaTimeoutMs: cfg.CHROMA_TIMEOUT_MS,
    embedder,
    docsDir: cfg.KNOWLEDGE_DOCS_DIR ? resolve(cfg.KNOWLEDGE_DOCS_DIR) : DEFAULT_DOCS_DIR,
    log: log.child({ module: 'knowledge' }),
  });
  onShutdown(() => kb.close());
  if (cfg.API_MODE === 'worker') return buildWorker(app, log, data, kb, background, cfg);

  guardHosts(app, {
    publicUrl: cfg.publicUrl,
    extraHosts: cfg.ALLOWED_HOSTS,
    exemptPaths: ['/healthz', ...scrapePaths(cfg.METRICS_TOKEN)],
  });
  refuseRepeatedQuery(app);
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

  const verifier = apiVerifier(cfg.IDP_ISSUER, cfg.audience, { ...verifierIdentity(cfg), log });
  onShutdown(() => verifier.close?.());
  const preHandler = [...requirePerson(verifier), await personRateLimit(app, cfg.RATE_LIMIT_REQUESTS, redis)];

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
    cache: redis ? redisTokenCache(redis) : memoryTokenCache(),
    onExchange: (audience, ok) => metrics.tokenExchange(audience, ok),
  });
  // A sign-in that ended (the IDP's revocation feed) loses the tokens exchanged for it at once.
  verifier.onRevoked?.(({ sids }) => {
    for (const sid of sids)
      exchanger
        .dropSession?.(sid)
        .catch((err: Error) =>
          log.warn({ err: err.message }, 'could not drop the exchanged tokens of an ended sign-in'),
        );
  });
  const mcp = createMcpGateway({
    servers: [
      { name: 'ticketing', url: cfg.TICKETING_URL },
      { name: 'organizations', url: cfg.ORGANIZATIONS_URL },
    ],
    exchanger,
    log,
    timeoutMs: cfg.MCP_TIMEOUT_MS,
    ...(background.toolLists ? { sharedLists: background.toolLists } : {}),
  });
  onShutdown(() => mcp.close());
  const store = createConversationStore(data as unknown as Store<ConversationTables>);

  // The same Redis (above) shares turns (docs/scale-out.md, "Turns across instances"): their event
  // streams, leases, pending approvals, and requests between instances. Without it, all in this process.
  const instanceId = randomUUID();
  const bus = redis ? await createInstanceBus(redis, instanceId, log.child({ module: 'bus' })) : undefined;
  if (bus) onShutdown(() => bus.close());

  let sharedApprovals: ReturnType<typeof createSharedApprovals> | undefined;
  const localApprovals = createApprovals({
    timeoutMs: cfg.APPROVAL_TIMEOUT_MS,
    onSettled: (id) => sharedApprovals?.settled(id),
  });
  const approvals =
    redis && bus
      ? (sharedApprovals = createSharedApprovals({
          local: localApprovals,
          redis,
          bus,
          timeoutMs: cfg.APPROVAL_TIMEOUT_MS,
          log,
        }))
      : localApprovals;
  const policy = createApprovalPolicy(data as unknown as Store<ApprovalPolicyTables>);

  registerMeRoutes(app, { preHandler, provider, mcp, docs: kb });
  // Turns are jobs: their events in this process or in Redis Streams, their state stored.
  const events = redis
    ? createRedisEventLog({ redis, log: log.child({ module: 'turn-events' }) })
    : createMemoryEventLog();
  const turns = createTurnStore(data as unknown as Store<TurnTables>);
  const leases =
    redis &&
    createTurnLeases({
      redis,
      instanceId,
      log: log.child({ module: 'turns' }),
      onLost: (turnId) => runner.leaseLost(turnId),
    });
  if (leases) onShutdown(() => leases.close());
  const runner = createTurnRunner({
    turn: { provider, approvals, policy, store, metrics, log },
    conversations: store,
    turns,
    events,
    docs: kb,
    log: log.child({ module: 'turns' }),
    ...(leases && bus ? { cluster: { leases, bus } } : {}),
  });
  // Turns a stopped process left running are marked interrupted before anyone can read them; with other
  // instances, those whose lease expired, now and every second.
  await runner.recover();
  onShutdown(runner.watch());
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
  registerJobRoutes(app, background.jobs, { preHandler: preHandler as unknown as preHandlerHookHandler });
  registerBackupRoutes(app, background.jobs, { preHandler: preHandler as unknown as preHandlerHookHandler });
  registerReadiness(app, [
    storeCheck(data),
    httpCheck('idp', `${cfg.IDP_ISSUER}/.well-known/openid-configuration`),
    httpCheck('ticketing', `${cfg.TICKETING_URL}/.well-known/oauth-protected-resource`),
    httpCheck('organizations', `${cfg.ORGANIZATIONS_URL}/.well-known/oauth-protected-resource`),
    { name: 'chroma', check: () => kb.readiness() },
    // Ready means a question can be answered from the documentation: its first ingestion is done.
    { name: 'documentation', check: async () => kb.ingestion() },
    ...background.checks,
    // Production mode: the seed's Security Hardening checklist, each item a check (hardening.ts).
    ...(cfg.MSI_ENV === 'production' ? hardeningChecks(cfg) : []),
  ]);

  return (url) => {
    // Ingestion of the built-in documentation runs in the background; /readyz tells when Chroma is reachable.
    if (background.works) void background.jobs.work();
    startKnowledge(kb, log);
    // The MCP client SDK was left out of start-up; load it once the stack's start is over, and run what
    // the provider's first step needs.
    warmUpLater(() => mcp.preload());
    warmUpLater(() => provider.warmUp?.());
    log.info({ url, provider: provider.name, model: provider.model, embedder: embedder.id }, 'api ready');
  };
}

/**
 * `node services/api --worker` (API_MODE=worker): the seed's worker dyno. It takes jobs from Redis and
 * serves only /healthz, /readyz and /metrics; the API instances enqueue.
 */
function buildWorker(
  app: FastifyInstance,
  log: Logger,
  data: ApiData,
  kb: ReturnType<typeof createKnowledgeBase>,
  background: Background,
  cfg: ApiConfig,
): AfterListen {
  guardHosts(app, { publicUrl: cfg.publicUrl, extraHosts: cfg.ALLOWED_HOSTS });
  registerReadiness(app, [
    storeCheck(data),
    { name: 'chroma', check: () => kb.readiness() },
    ...background.checks,
  ]);
  return (url) => {
    void background.jobs.work().then(
      () => log.info({ url, concurrency: cfg.API_WORKERS }, 'api worker ready: taking jobs'),
      (err: Error) => log.error({ err }, 'api worker could not start taking jobs'),
    );
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
