import { pino, type Logger, type DestinationStream } from 'pino';
import { logFields } from './tracing.js';

export type { Logger };

/** Paths that never reach a log line: credentials, tokens, keys. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'subject_token',
  '*.subject_token',
  'client_secret',
  '*.client_secret',
  'code_verifier',
  '*.code_verifier',
  'apiKey',
  '*.apiKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
];

/**
 * JSON logs tagged with the service name, secrets redacted; a line written for a request or inside a
 * span carries its trace_id, span_id and request_id (docs/logging.md lists every field).
 */
export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service, pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logFields,
    },
    destination,
  );
}
