import type { FastifyInstance } from 'fastify';
import type { Idp } from '../context.js';

const PAGE = 1000;

/**
 * `GET /revocations?after=<cursor>`: what resource servers must stop accepting before it expires, for
 * their verifiers to poll every few seconds (kit revocations.ts). Each entry is `{sid, exp}` (a sign-in
 * ended: every access token naming that grant, exchanged ones included) or `{jti, exp}` (one access token
 * revoked); `cursor` goes into the next request, `more` says a next page is ready at once, `last` is the newest
 * cursor there is.
 *
 * Public, as the JWKS is: the MCP servers have no client credentials to authenticate with, and the feed
 * gives nothing away. Its values are random ids of tokens that no longer work (no subject, no username,
 * no token), so knowing one lets nobody in or names nobody; what is left is the rate of sign-outs.
 */
export function revocationFeedRoutes(app: FastifyInstance, idp: Idp): void {
  app.get('/revocations', async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).after;
    const after = raw === undefined || raw === '' ? 0 : Number(raw);
    if (typeof raw === 'object' || !Number.isSafeInteger(after) || after < 0) {
      return reply.status(400).send({
        error: 'invalid_request',
        message: 'after must be a cursor this feed gave (an integer ≥ 0), once',
      });
    }
    const rows = await idp.store.revocations(after, PAGE);
    // A cursor beyond the newest entry comes from another database (a fresh data dir): `last` tells the
    // poller to start again from 0 rather than wait for this one to catch up.
    const last = rows.length ? rows.at(-1)!.seq : await idp.store.lastRevocation();
    return reply.header('Cache-Control', 'no-store').send({
      cursor: String(rows.at(-1)?.seq ?? after),
      last: String(Math.max(last, rows.at(-1)?.seq ?? 0)),
      more: rows.length === PAGE,
      revoked: rows.map((r) => ({ [r.kind]: r.value, exp: r.expiresAt })),
    });
  });
}
