/**
 * The verifier's side of revocation, against the real IDP process: a sign-out is refused from the next
 * poll on; a verifier that was idle polls before it answers (never accepting what was revoked while it
 * slept); an IDP that cannot be reached leaves the last list in force, and that is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationFeed, createTokenVerifier, TokenError } from '../src/index.js';
import { loginWithPassword, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { claimsOf, signOut, waitUntil } from '../../../test/support/revocation.js';

let idp: RunningIdp;
beforeAll(async () => {
  idp = await startIdp();
});
afterAll(async () => {
  await idp?.stop();
});

const warnings: string[] = [];
const log = {
  warn: (...args: unknown[]) => void warnings.push(String(args[1] ?? args[0])),
  info: () => undefined,
};

describe('revocation feed', () => {
  it('an idle feed polls before it answers: what was revoked while it slept is refused at once', async () => {
    const feed = createRevocationFeed({ url: `${idp.issuer}/revocations`, pollMs: 60_000, idleMs: 0 });
    const tokens = await loginWithPassword(idp.issuer, 'alex_agent');
    const sid = String(claimsOf(tokens.access_token).sid);
    await feed.fresh();
    expect(feed.isRevoked(sid, undefined)).toBe(false);
    await signOut(idp.issuer, tokens.id_token);
    // The next poll is a minute away; having been idle, the feed polls now.
    await feed.fresh();
    expect(feed.isRevoked(sid, undefined)).toBe(true);
    feed.close();
  });

  it('the verifier refuses a signed-out token; with the IDP gone it keeps its list and logs it', async () => {
    const verifier = createTokenVerifier({
      issuer: idp.issuer,
      audience: idp.audiences.api,
      revocationPollMs: 100,
      log,
    });
    const ended = await loginWithPassword(idp.issuer, 'james_smith');
    const kept = await loginWithPassword(idp.issuer, 'james_smith');
    const revokedSids: string[] = [];
    verifier.onRevoked?.((r) => revokedSids.push(...r.sids));
    expect((await verifier.verify(ended.access_token)).sid).toBe(claimsOf(ended.access_token).sid);
    await signOut(idp.issuer, ended.id_token);
    await waitUntil(
      'the verifier refuses the signed-out token',
      () =>
        verifier.verify(ended.access_token).then(
          () => false,
          () => true,
        ),
      5000,
    );
    const err = await verifier.verify(ended.access_token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenError);
    expect((err as Error).message).toBe('the token was revoked (signed out)');
    expect(revokedSids).toContain(claimsOf(ended.access_token).sid);

    await idp.stop();
    await waitUntil('the unreachable feed is logged', async () => {
      await verifier.verify(kept.access_token).catch(() => undefined);
      return warnings.some((w) => /cannot reach the revocation feed/.test(w));
    });
    // The last list stays in force; a token of a sign-in that goes on still verifies (cached JWKS).
    await expect(verifier.verify(ended.access_token)).rejects.toThrow(/revoked/);
    expect((await verifier.verify(kept.access_token)).username).toBe('james_smith');
    verifier.close?.();
  });

  it('a replaced IDP database (its feed starts again at 1) is followed from its start', async () => {
    const first = await startIdp();
    const port = first.port;
    const feed = createRevocationFeed({ url: `${first.issuer}/revocations`, pollMs: 60_000, idleMs: 0 });
    for (let i = 0; i < 3; i++) {
      const t = await loginWithPassword(first.issuer, 'alex_agent');
      await signOut(first.issuer, t.id_token);
    }
    await feed.fresh();
    await first.stop();
    const second = await startIdp({ port });
    try {
      const t = await loginWithPassword(second.issuer, 'alex_agent');
      await signOut(second.issuer, t.id_token);
      await feed.fresh();
      expect(feed.isRevoked(String(claimsOf(t.access_token).sid), undefined)).toBe(true);
    } finally {
      feed.close();
      await second.stop();
    }
  });
});
