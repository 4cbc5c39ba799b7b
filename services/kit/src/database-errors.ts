/**
 * "The database is not there right now": what every service answers 503 `unavailable` for, naming the
 * database, instead of a 500. No imports, so the HTTP bootstrap can recognise it without loading a driver.
 */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503;
  readonly code = 'unavailable';

  constructor(
    /** "the ticketing database" */
    readonly database: string,
    override readonly cause?: unknown,
  ) {
    super(`${database} is unavailable (${describeCause(cause)}); try again shortly`);
    this.name = 'DatabaseUnavailableError';
  }
}

function describeCause(cause: unknown): string {
  const e = cause as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(cause ?? 'no answer');
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/** Errno codes of a connection that could not be made or was lost. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOENT', // a Unix socket that is not there
]);

/** node-postgres's own words for a lost or never-made connection (it sets no code on these). */
const PG_LOST =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|connection error|Connection ended/i;

/**
 * True for an error that says the database cannot be reached or refuses work for now (as opposed to a
 * bad query): a network failure, PostgreSQL's connection-exception class (08), admin or crash shutdown
 * and "cannot connect now" (57P01-03), too many connections and disk full (53), a read-only replica
 * (25006), or SQLite still busy after its timeout.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK.has(code)) return true;
  if (/^08/.test(code) || /^57P0[123]$/.test(code) || /^53/.test(code) || code === '25006') return true;
  if (/^SQLITE_BUSY/.test(code)) return true;
  return typeof e.message === 'string' && !code && PG_LOST.test(e.message);
}
