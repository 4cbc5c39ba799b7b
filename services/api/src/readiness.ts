/**
 * GET /readyz: the IDP (discovery), both MCP servers (their RFC 9728 metadata), Chroma, and the built-in
 * documentation's first ingestion; each check with a timeout, so a hung dependency is reported, not waited for.
 */
import type { FastifyInstance } from 'fastify';

export interface CheckResult {
  ok: boolean;
  detail: string;
  /** What is wrong in a few words, after the name (default "is down"): "is not responding". */
  summary?: string;
}

export interface Check {
  name: string;
  check(): Promise<CheckResult>;
}

/** A dependency that answers a GET with 2xx within `timeoutMs` (a hung one is "not responding"). */
export function httpCheck(name: string, url: string, timeoutMs = 3000): Check {
  return {
    name,
    async check() {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        return res.ok
          ? { ok: true, detail: 'ok' }
          : { ok: false, detail: `${url} answered HTTP ${res.status}` };
      } catch (err) {
        if ((err as Error).name === 'TimeoutError')
          return {
            ok: false,
            detail: `${url} is not responding (no answer within ${timeoutMs / 1000} s)`,
            summary: 'is not responding',
          };
        const cause = (err as Error & { cause?: { code?: string } }).cause?.code;
        return { ok: false, detail: `${url} is unreachable (${cause ?? (err as Error).message})` };
      }
    },
  };
}

export function registerReadiness(app: FastifyInstance, checks: Check[]): void {
  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      checks.map(
        async (c) =>
          [
            c.name,
            await c.check().catch((e: Error): CheckResult => ({ ok: false, detail: e.message })),
          ] as const,
      ),
    );
    const failing = results.filter(([, r]) => !r.ok);
    return reply.status(failing.length ? 503 : 200).send({
      status: failing.length ? 'not_ready' : 'ready',
      ...(failing.length
        ? {
            message: `not ready: ${failing.map(([n, r]) => `${n} ${(r as CheckResult).summary ?? 'is down'}`).join(', ')}`,
          }
        : {}),
      checks: Object.fromEntries(results),
    });
  });
}
