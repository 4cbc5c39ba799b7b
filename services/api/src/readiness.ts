/** GET /readyz: the IDP (discovery), both MCP servers (their RFC 9728 metadata) and the knowledge base. */
import type { FastifyInstance } from 'fastify';

export interface Check {
  name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

/** A dependency that answers a GET with 2xx. */
export function httpCheck(name: string, url: string): Check {
  return {
    name,
    async check() {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        return res.ok
          ? { ok: true, detail: 'ok' }
          : { ok: false, detail: `${url} answered HTTP ${res.status}` };
      } catch (err) {
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
          [c.name, await c.check().catch((e: Error) => ({ ok: false, detail: e.message }))] as const,
      ),
    );
    const down = results.filter(([, r]) => !r.ok).map(([n]) => n);
    return reply.status(down.length ? 503 : 200).send({
      status: down.length ? 'not_ready' : 'ready',
      ...(down.length
        ? { message: `not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down` }
        : {}),
      checks: Object.fromEntries(results),
    });
  });
}
