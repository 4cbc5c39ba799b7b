import { request } from 'node:http';
import { createServer } from 'node:net';

/** Whether `port` on `host` can be bound right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free now (bind to 0, read it, release it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free, else any free port. */
export async function preferredOrFreePort(
  preferred: number,
  host = '127.0.0.1',
  avoid: Set<number> = new Set(),
) {
  if (preferred > 0 && !avoid.has(preferred) && (await isPortFree(preferred, host))) return preferred;
  for (;;) {
    const p = await freePort(host);
    if (!avoid.has(p)) return p;
  }
}

/**
 * One GET of a health endpoint over node:http (no keep-alive): status and body. Much lighter than fetch
 * for a supervisor that polls several starting services every few milliseconds (a refused connection
 * costs a few microseconds instead of undici's fetch machinery). Rejects on a connection error or timeout.
 */
export function probeHealth(
  url: string,
  { timeoutMs = 2000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs` (or when `abort` fires). */
export async function waitForHealthy(
  url: string,
  {
    timeoutMs = 30_000,
    intervalMs = 50,
    signal,
  }: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Error(`stopped waiting for ${url}: ${String(signal.reason ?? 'aborted')}`);
    try {
      const res = await probeHealth(url);
      if (res.status >= 200 && res.status < 300) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs} ms (last: ${last})`);
}
