/**
 * What went wrong talking to an MCP server, in words a person reads in the chat: which service, and
 * whether it did not answer in time, could not be reached, or refused ("The ticket service didn't
 * answer in 10 s"). Server-side words (an HTTP error's JSON message) are kept.
 */
import type { McpServerName } from './contract.js';
import { ExchangeError } from './token-exchange.js';

/** What a person calls each MCP server. */
export const SERVICE_WORDS: Record<McpServerName, string> = {
  ticketing: 'ticket service',
  organizations: 'organization service',
};

/** The MCP SDK's RequestTimeout error code (McpError). */
const REQUEST_TIMEOUT = -32001;

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const capitalized = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** True when `err` means the server did not answer within the timeout (not that it refused). */
export function isTimeout(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: { name?: unknown } } | undefined;
  return e?.code === REQUEST_TIMEOUT || e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError';
}

/** One sentence for a failed list, connection or call of `server`. */
export function describeFailure(server: McpServerName, err: unknown, timeoutMs: number): string {
  const who = capitalized(`the ${SERVICE_WORDS[server]}`);
  if (isTimeout(err)) return `${who} didn't answer in ${seconds(timeoutMs)}`;
  if (err instanceof ExchangeError) return `${who} could not be used: ${err.message}`;
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (code === 'ECONNREFUSED') return `${who} could not be reached (connection refused)`;
  if (typeof code === 'string') return `${who} could not be reached (${code})`;
  return describeHttp(err);
}

/** The SDK wraps HTTP errors as "Error POSTing to endpoint (HTTP 403): {json}"; keep the server's words. */
export function describeHttp(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = msg.match(/\(HTTP (\d+)\): (.*)$/s);
  if (m) {
    try {
      const body = JSON.parse(m[2]!) as { message?: string; error?: string };
      return `${body.message ?? body.error ?? m[2]} (HTTP ${m[1]})`;
    } catch {
      return msg;
    }
  }
  return msg;
}
