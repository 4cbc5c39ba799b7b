/**
 * Forged and misplaced tokens against every resource server — both MCP servers and the API, the real
 * processes with the real IDP's keys: none is accepted, while the genuine token each forgery starts
 * from is (so the count means something). test/support/forged-tokens.ts lists the forgeries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { forgeries } from '../../../test/support/forged-tokens.js';
import { loginWithPassword, resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';

const PEOPLE = ['james_smith', 'alex_agent', 'sam_supervisor', 'admin'];
let backend: Backend;
let other: RunningIdp;

beforeAll(async () => {
  backend = await startBackend({ seedTickets: 20 });
  // Another IDP (its own keys) issuing for the very same resources.
  other = await startIdp({
    audiences: {
      api: backend.apiAudience,
      ticketing: backend.ticketing.url,
      organizations: backend.organizations.url,
    },
  });
}, 180_000);
afterAll(async () => {
  await other?.stop();
  await backend?.stop();
});

async function accepted(target: 'ticketing' | 'organizations' | 'api', token: string): Promise<boolean> {
  const res =
    target === 'api'
      ? await fetch(`${backend.api.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })
      : await fetch(`${backend[target].url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
  await res.body?.cancel();
  if (res.status !== 200 && res.status !== 401) throw new Error(`${target} answered ${res.status}`);
  return res.status === 200;
}

describe('forged tokens', () => {
  it('none is accepted by the API or either MCP server; each genuine token is', async () => {
    const jwks = (await (await fetch(`${backend.idp.issuer}/jwks`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const issuer = backend.idp.issuer;
    let tried = 0;
    const acceptedKinds: string[] = [];
    for (const username of PEOPLE) {
      const login = await loginWithPassword(issuer, username);
      const forTicketing = await resourceToken(issuer, username, backend.ticketing.url);
      const forOrgs = await resourceToken(issuer, username, backend.organizations.url);
      const targets = [
        [
          'api',
          login.access_token,
          forTicketing,
          await (await loginWithPassword(other.issuer, username)).access_token,
        ],
        [
          'ticketing',
          forTicketing,
          forOrgs,
          await resourceToken(other.issuer, username, backend.ticketing.url),
        ],
        [
          'organizations',
          forOrgs,
          login.access_token,
          await resourceToken(other.issuer, username, backend.organizations.url),
        ],
      ] as const;
      for (const [target, valid, otherAudience, otherIssuer] of targets) {
        expect(await accepted(target, valid), `${username}'s genuine token at ${target}`).toBe(true);
        for (const f of await forgeries({
          valid,
          jwks,
          otherAudience,
          otherIssuer,
          idToken: login.id_token,
          refreshToken: login.refresh_token,
          attackerUrl: 'http://127.0.0.1:9',
        })) {
          tried++;
          if (await accepted(target, f.token)) acceptedKinds.push(`${target} ${username}: ${f.kind}`);
        }
      }
    }
    console.log(`forged tokens: ${acceptedKinds.length} of ${tried} accepted`);
    expect(acceptedKinds).toEqual([]);
    expect(tried).toBeGreaterThanOrEqual(300);
  }, 240_000);
});
