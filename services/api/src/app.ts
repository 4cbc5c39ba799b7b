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
  onShutdown,
  openDatabase,
  warmUpLater,
  type AfterListen,
  type Db,
  type Logger,
} from '@msi/kit';
import { createApprovals } from './agent/approvals.js';
import { registerApprovalRoutes } from './agent/approvals.js';
import { offlineProvider } from './agent/offline/index.js';
import type { ModelProvider } from './agent/provider.js';
import { apiVerifier, requirePerson } from './auth.js';
import type { ApiConfig } from './config.js';
import { registerConversationRoutes } from './conversations/routes.js';
import { conversationMigrations, createConversationStore } from './conversations/store.js';
import {
  createKnowledgeBase,
  offlineEmbedder,
  openaiEmbedder,
  registerKnowledgeRoutes,
} from './knowledge/index.js';
import { createRateLimiter, rateLimit } from './limits.js';
import { createMcpGateway } from './mcp-clients.js';
import { registerMeRoutes } from './me-routes.js';
import { createMetrics } from './metrics.js';
import { httpCheck, registerReadiness } from '@msi/kit';
import { createTokenExchanger } from './token-exchange.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The product's own documentation, next to the built service in the repository (or KNOWLEDGE_DOCS_DIR). */
export const DEFAULT_DOCS_DIR = resolve(here, '../../../resources/docs');

/** Knowledge uploads are JSON of up to 5 MB of text; message content has its own, smaller cap. */
export const API_BODY_LIMIT = 6 * 1024 * 1024;

/** The API's own SQLite file (conversations, knowledge metadata); DataDirError when it cannot be used. */
export function openApiDb(cfg: ApiConfig): Db {
  return openDatabase(resolve(cfg.MSI_DATA_DIR, 'api', 'api.sqlite'), conversationMigrations);
}

/** The API's routes on `app`; returns what runs once it listens (ingestion, warm-up, the ready line). */
export async function buildApi(
  app: FastifyInstance,
  log: Logger,
  cfg: ApiConfig,
  db: Db,
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
    db,
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
  metrics.register(app);
  await app.register(cors, {
    origin: (origin, cb) =>
      cb(null, !origin || cfg.ALLOWED_ORIGINS.includes(origin) ? (origin ?? false) : false),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  });

  const limiter = createRateLimiter(cfg.RATE_LIMIT_REQUESTS);
  const preHandler = [
    ...requirePerson(apiVerifier(cfg.IDP_ISSUER, cfg.publicUrl)),
    rateLimit(limiter, cfg.RATE_LIMIT_REQUESTS),
  ];

  const exchanger = createTokenExchanger({
    issuer: cfg.IDP_ISSUER,
    clientId: cfg.API_CLIENT_ID,
    clientSecret: cfg.API_CLIENT_SECRET,
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
  const store = createConversationStore(db);
  const approvals = createApprovals({ timeoutMs: cfg.APPROVAL_TIMEOUT_MS });

  registerMeRoutes(app, { preHandler, provider, mcp, docs: kb });
  registerConversationRoutes(app, {
    preHandler,
    store,
    mcp,
    docs: kb,
    turn: { provider, approvals, store, metrics, log },
    maxMessageChars: cfg.MAX_MESSAGE_CHARS,
  });
  registerApprovalRoutes(app, approvals, { preHandler });
  // Fastify runs an array of preHandlers in order; the knowledge routes' option is typed for one.
  registerKnowledgeRoutes(app, kb, { preHandler: preHandler as unknown as preHandlerHookHandler });
  registerReadiness(app, [
    httpCheck('idp', `${cfg.IDP_ISSUER}/.well-known/openid-configuration`),
    httpCheck('ticketing', `${cfg.TICKETING_URL}/.well-known/oauth-protected-resource`),
    httpCheck('organizations', `${cfg.ORGANIZATIONS_URL}/.well-known/oauth-protected-resource`),
    { name: 'chroma', check: () => kb.readiness() },
    // Ready means a question can be answered from the documentation: its first ingestion is done.
    { name: 'documentation', check: async () => kb.ingestion() },
  ]);

  return (url) => {
    // Ingestion of the built-in documentation runs in the background; /readyz tells when Chroma is reachable.
    kb.start().catch((err: Error) => log.error({ err }, 'knowledge base did not start'));
    // The MCP client SDK was left out of start-up; load it once the stack's start is over.
    warmUpLater(() => mcp.preload());
    log.info({ url, provider: provider.name, model: provider.model, embedder: embedder.id }, 'api ready');
  };
}

/** No API route takes a query parameter twice: `?q=a&q=b` is a 400 naming it, before any route reads it. */
function refuseRepeatedQuery(app: FastifyInstance): void {
  app.addHook('preValidation', async (req, reply) => {
    const query = req.query as Record<string, unknown> | undefined;
    const repeated = Object.entries(query ?? {}).find(([, v]) => Array.isArray(v));
    if (repeated) {
      return reply
        .status(400)
        .send({ error: 'invalid_request', message: `${repeated[0]} must be given once` });
    }
  });
}
