/**
 * Per-person request rate: at most N requests a minute per person (the token's subject), counted by
 * @fastify/rate-limit in this process, or in Redis with REDIS_URL so that the limit holds across every
 * API instance (docs/scale-out.md). Its window is fixed (a minute from the person's first request in
 * it), as its Redis store counts. Over the limit: 429 with Retry-After and a JSON body saying when to
 * try again; Redis away: the 503 `unavailable` naming Redis.
 */
import rateLimitPlugin from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SharedRedis } from '@msi/kit';

const WINDOW_MS = 60_000;

/**
 * Registers the limiter on `app` and returns the preHandler that counts a request (run it after
 * authentication: it keys by the person).
 */
export async function personRateLimit(
  app: FastifyInstance,
  perMinute: number,
  redis?: SharedRedis,
): Promise<(req: FastifyRequest, reply: FastifyReply) => Promise<unknown>> {
  await app.register(rateLimitPlugin, {
    // Only where this preHandler runs (the /api routes), not on health checks and metadata.
    global: false,
    ...(redis ? { redis: redis.client, nameSpace: redis.key('ratelimit', '') } : {}),
  });
  const count = app.createRateLimit({
    max: perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (req) => req.principal?.sub ?? req.ip,
  });
  return async (req, reply) => {
    let r: Awaited<ReturnType<typeof count>>;
    try {
      r = await count(req);
    } catch (err) {
      // Only the Redis store fails; the in-process one cannot.
      throw redis ? redis.unavailable(err) : err;
    }
    if (r.isAllowed || !r.isExceeded) return;
    const wait = Math.max(1, r.ttlInSeconds);
    return reply
      .status(429)
      .header('Retry-After', String(wait))
      .send({
        error: 'rate_limited',
        message: `too many requests: at most ${perMinute} per minute; try again in ${wait} s`,
      });
  };
}
