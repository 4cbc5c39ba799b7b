export * from './config.js';
export * from './log.js';
export * from './http.js';
export * from './lifecycle.js';
export * from './exit-codes.js';
export * from './service.js';
export * from './auth.js';
export * from './identity.js';
export * from './production.js';
export * from './principal.js';
export * from './sqlite.js';
export * from './database.js';
export * from './readiness.js';
export * from './net.js';
export * from './mcp.js';
export * from './mcp-result.js';
export * from './mcp-requests.js';
export * from './host-guard.js';
export * from './mcp-tool.js';
export * from './prng.js';
export * from './vocabulary.js';
// Where the parts find each other, defined once in contracts/.
export {
  CLIENT_IDS,
  DEFAULT_HOST,
  DEFAULT_PORTS,
  defaultUrl,
  DESKTOP_SCOPES,
  OIDC_SCOPES,
  SERVICE_ENV,
  type EnvName,
} from '@msi/contracts/endpoints';
export * from './redis.js';
export * from './tracing.js';
export { inRequestContext, requestIdOf } from './request-tracing.js';
