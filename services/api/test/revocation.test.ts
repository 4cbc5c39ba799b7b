/**
 * A signed-out or revoked sign-in stops working within seconds at the API and at an MCP server (#13
 * hardening 1): the IDP records the revocation in its store and publishes it (GET /revocations), every
 * verifier polls that feed (REVOCATION_POLL_MS) and refuses tokens naming the ended sign-in (`sid`),
 * exchanged tokens included. Real sign-ins through the login form, on both of the IDP's backends; the
 * time limit is far below the tokens' lifetimes (15 min / 5 min), so the old behaviour fails it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { backends } from '../../../test/support/database.js';
import { exchangeToken, loginWithPassword } from '../../../test/support/idp.js';
import {
  apiMe,
  claimsOf,
  mcpInitialize,
  revokeRefreshToken,
  signOut,
  waitUntil,
} from '../../../test/support/revocation.js';

/** Well within "seconds", far from the tokens' lifetimes. */
const WITHIN_MS = 8000;

describe.each(backends())('a revoked sign-in stops working within seconds (IDP on %s)', (backend) => {
  let stack: Backend;
  beforeAll(async () => {
    stack = await startBackend({ postgres: backend === 'postgres' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Signs in, and checks the API token and an exchanged ticketing token work. */
  const signIn = async (username: string) => {
    const tokens = await loginWithPassword(stack.idp.issuer, username);
    const mcpToken = (
      await exchangeToken(stack.idp.issuer, {
        subjectToken: tokens.access_token,
        resource: stack.ticketing.url,
      })
    ).access_token;
    // The exchanged token belongs to the same sign-in as its subject token.
    expect(claimsOf(mcpToken).sid).toBe(claimsOf(tokens.access_token).sid);
    expect((await apiMe(stack.api.url, tokens.access_token)).status).toBe(200);
    expect((await mcpInitialize(stack.ticketing.url, mcpToken)).status).toBe(200);
    return { ...tokens, mcpToken };
  };

  const refusedAsRevoked = async (s: { access_token: string; mcpToken: string }) => {
    await waitUntil(
      'the API refuses the revoked token',
      async () => (await apiMe(stack.api.url, s.access_token)).status === 401,
      WITHIN_MS,
    );
    await waitUntil(
      'the MCP server refuses the exchanged token of the revoked sign-in',
      async () => (await mcpInitialize(stack.ticketing.url, s.mcpToken)).status === 401,
      WITHIN_MS,
    );
    const api = await apiMe(stack.api.url, s.access_token);
    expect(JSON.parse(api.body)).toEqual({
      error: 'invalid_token',
      message: 'the token was revoked (signed out)',
    });
    const mcp = await mcpInitialize(stack.ticketing.url, s.mcpToken);
    expect(mcp.challenge).toMatch(/error="invalid_token", error_description="the token was revoked/);
  };

  it('signing out (end-session with the ID token) ends the API token and its exchanged tokens', async () => {
    const alex = await signIn('alex_agent');
    const other = await signIn('alex_agent');
    await signOut(stack.idp.issuer, alex.id_token);
    await refusedAsRevoked(alex);
    // Another sign-in of the same person, in another session, goes on working.
    expect((await apiMe(stack.api.url, other.access_token)).status).toBe(200);
    expect((await mcpInitialize(stack.ticketing.url, other.mcpToken)).status).toBe(200);
  });

  it('revoking the refresh token (RFC 7009) ends its sign-in at the API and the MCP server', async () => {
    const james = await signIn('james_smith');
    await revokeRefreshToken(stack.idp.issuer, james.refresh_token);
    await refusedAsRevoked(james);
  });

  it('the feed names only random ids with their expiry, and takes a cursor', async () => {
    const feed = (await (await fetch(`${stack.idp.issuer}/revocations`)).json()) as {
      cursor: string;
      more: boolean;
      revoked: Record<string, unknown>[];
    };
    expect(feed.revoked.length).toBeGreaterThanOrEqual(2);
    for (const r of feed.revoked) expect(Object.keys(r).sort()).toEqual(['exp', 'sid']);
    const after = (await (await fetch(`${stack.idp.issuer}/revocations?after=${feed.cursor}`)).json()) as {
      revoked: unknown[];
    };
    expect(after.revoked).toEqual([]);
    const bad = await fetch(`${stack.idp.issuer}/revocations?after=x`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/after/),
    });
  });
});
