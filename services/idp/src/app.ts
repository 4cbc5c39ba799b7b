import { join } from 'node:path';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { guardHosts, registerReadiness, scrapePaths, storeCheck, type Logger } from '@msi/kit';
import { ClientRegistry } from './client-registry.js';
import { onRendererOrigin, rendererOrigins, resourceScopes } from './clients.js';
import type { IdpConfig } from './config.js';
import type { Idp } from './context.js';
import { KeyStore } from './keys.js';
import { authorizeRoutes } from './routes/authorize.js';
import { discoveryRoutes } from './routes/discovery.js';
import { endSessionRoutes } from './routes/end-session.js';
import { registerRoutes } from './routes/register.js';
import { revocationFeedRoutes } from './routes/revocations.js';
import { revokeRoutes } from './routes/revoke.js';
import { tokenRoutes } from './routes/token.js';
import { userinfoRoutes } from './routes/userinfo.js';
import { Store } from './store.js';
import { TokenIssuer } from './tokens.js';

/** Paths a browser app (the renderer, a public client) may call across origins. */
const CORS_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/jwks',
  '/token',
  '/userinfo',
  '/revoke',
];

/** Seconds a retired signing key stays published: the longest life of a token it signed, plus slack. */
export function keyRetention(cfg: IdpConfig): number {
  return Math.max(cfg.IDP_ACCESS_TOKEN_TTL, cfg.IDP_EXCHANGED_TOKEN_TTL) + 120;
}

/**
 * The IDP's data: signing keys (in the data dir) and the store (the SQLite file there, or the PostgreSQL
 * database DATABASE_URL names). DataDirError when either cannot be used; ConfigError for a bad
 * DATABASE_URL; DatabaseUnavailableError when its server does not answer within the connect timeout.
 */
export interface IdpData {
  keys: KeyStore;
  store: Store;
  close(): Promise<void>;
}

export async function openIdpData(cfg: IdpConfig, log?: Logger): Promise<IdpData> {
  const keys = new KeyStore(join(cfg.MSI_DATA_DIR, 'idp'), keyRetention(cfg));
  keys.load();
  keys.ensureAlgorithms();
  const store = await Store.open({
    dataDir: cfg.MSI_DATA_DIR,
    url: cfg.DATABASE_URL,
    ...(log ? { log } : {}),
    connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
    poolMax: cfg.DATABASE_POOL_MAX,
    revocationTtl: keyRetention(cfg),
  });
  return { keys, store, close: () => store.close() };
}

/** The IDP's routes on `app`, over the data `openIdpData` opened. */
export async function buildIdp(
  app: FastifyInstance,
  log: Logger,
  cfg: IdpConfig,
  { keys, store }: IdpData,
): Promise<Idp> {
  const idp: Idp = {
    cfg,
    log,
    store,
    keys,
    tokens: new TokenIssuer(cfg, keys, store),
    clients: new ClientRegistry(cfg, log),
    resources: resourceScopes(cfg),
  };
  const pruner = setInterval(() => {
    store.prune().catch((err: Error) => log.warn({ err: err.message }, 'pruning expired records failed'));
  }, 10 * 60_000);
  pruner.unref();
  app.addHook('onClose', async () => clearInterval(pruner));
  await app.register(formbody);
  guardHosts(app, {
    publicUrl: cfg.issuer,
    extraHosts: cfg.ALLOWED_HOSTS,
    exemptPaths: ['/healthz', ...scrapePaths(cfg.METRICS_TOKEN)],
  });
  registerReadiness(app, [storeCheck(store)]);
  // CORS for the renderer's origin(s) only: any other page, even another loopback port, gets no answer.
  const renderer = rendererOrigins(cfg);
  await app.register(cors, {
    delegator: (req, cb) => {
      const path = req.url.split('?')[0]!;
      const origin = req.headers.origin;
      const ok =
        CORS_PATHS.includes(path) &&
        !!origin &&
        URL.canParse(origin) &&
        new URL(origin).origin === origin &&
        onRendererOrigin(origin, renderer);
      cb(null, {
        origin: ok ? origin : false,
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        maxAge: 600,
      });
    },
  });
  discoveryRoutes(app, idp);
  authorizeRoutes(app, idp);
  tokenRoutes(app, idp);
  userinfoRoutes(app, idp);
  revokeRoutes(app, idp);
  revocationFeedRoutes(app, idp);
  endSessionRoutes(app, idp);
  registerRoutes(app, idp);
  return idp;
}
