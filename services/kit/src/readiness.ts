/**
 * GET /readyz for every service: named checks (a dependency over HTTP, the service's own database, …),
 * each with a timeout so a hung dependency is reported, not waited for; 200 `ready` or 503 `not_ready`
 * with a message naming what is down. The API checks the IDP, both MCP servers, Chroma and its
 * documentation; the others their database.
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

/** The service's own database (a Store of database.ts): answers a query within `timeoutMs`. */
export function storeCheck(
  store: { readonly label: string; ping(): Promise<void> },
  name = 'database',
  timeoutMs = 3000,
): Check {
  return {
    name,
    async check() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              ok: false,
              detail: `${store.label} is not responding (no answer within ${timeoutMs / 1000} s)`,
              summary: 'is not responding',
            }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([
          store.ping().then(
            (): CheckResult => ({ ok: true, detail: 'ok' }),
            (err: Error): CheckResult => ({ ok: false, detail: err.message, summary: 'is unavailable' }),
          ),
          late,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
