/**
 * Ending a sign-in the ways a person or client does, and watching a token stop working: for the
 * revocation tests and `npm run bench -- revocation`. Everything goes through the real IDP, API and MCP
 * servers over HTTP.
 */
import { DESKTOP_CLIENT_ID } from './idp.js';

/** RP-initiated logout as the renderer does it: GET /end-session with the ID token of this sign-in. */
export async function signOut(issuer: string, idToken: string): Promise<void> {
  const res = await fetch(`${issuer}/end-session?${new URLSearchParams({ id_token_hint: idToken })}`, {
    redirect: 'manual',
  });
  if (res.status !== 200) throw new Error(`end-session answered ${res.status}: ${await res.text()}`);
}

/** RFC 7009 revocation of the desktop client's refresh token (its whole sign-in). */
export async function revokeRefreshToken(issuer: string, refreshToken: string): Promise<void> {
  const res = await fetch(`${issuer}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: refreshToken,
      token_type_hint: 'refresh_token',
      client_id: DESKTOP_CLIENT_ID,
    }),
  });
  if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${await res.text()}`);
}

/** An MCP `initialize` with `token`: the status and body of the answer. */
export async function mcpInitialize(
  serverUrl: string,
  token: string,
): Promise<{ status: number; body: string; challenge: string | null }> {
  const res = await fetch(`${serverUrl}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'revocation', version: '1' },
      },
    }),
  });
  return { status: res.status, body: await res.text(), challenge: res.headers.get('www-authenticate') };
}

/** GET /api/me with `token`: status and body. */
export async function apiMe(apiUrl: string, token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${apiUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text() };
}

/**
 * Checks `condition` every `everyMs` until it holds; resolves with the ms it took, rejects after
 * `timeoutMs` naming `what`.
 */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A JWT's payload, unverified (to read `sid` in a test). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}
