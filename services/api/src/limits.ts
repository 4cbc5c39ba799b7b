/** Per-person request rate (sliding one-minute window) and input size caps. */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface RateLimiter {
  /** Counts a request of `key`; returns the seconds to wait when over the limit, else 0. */
  hit(key: string): number;
}

export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, number[]>();
  let sweeps = 0;
  return {
    hit(key) {
      const t = now();
      const recent = (windows.get(key) ?? []).filter((x) => x > t - 60_000);
      if (++sweeps % 1000 === 0) {
        for (const [k, v] of windows) if (!v.some((x) => x > t - 60_000)) windows.delete(k);
      }
      if (recent.length >= perMinute) {
        windows.set(key, recent);
        return Math.max(1, Math.ceil((recent[0]! + 60_000 - t) / 1000));
      }
      recent.push(t);
      windows.set(key, recent);
      return 0;
    },
  };
}

/** A preHandler (after authentication) answering 429 with Retry-After once a person is over the limit. */
export function rateLimit(limiter: RateLimiter, perMinute: number) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const wait = limiter.hit(req.principal?.sub ?? req.ip);
    if (wait > 0) {
      return reply
        .status(429)
        .header('Retry-After', String(wait))
        .send({
          error: 'rate_limited',
          message: `too many requests: at most ${perMinute} per minute; try again in ${wait} s`,
        });
    }
  };
}
