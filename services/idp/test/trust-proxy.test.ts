/**
 * X-Forwarded-For is believed only from a configured load balancer (TRUST_PROXY): otherwise a client
 * could name any address and escape the per-address sign-in throttle. The throttle locks a username and
 * address pair after 5 failures.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '@msi/kit';
import { tempDataDir } from '../../../test/support/data-dir.js';
import { formField, cookiesOf, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { runToExit } from '../../../test/support/services.js';

const started: RunningIdp[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

/** One failed sign-in for `username`, the request claiming to come from `forwardedFor`. */
async function failOnce(idp: RunningIdp, username: string, forwardedFor: string): Promise<number> {
  const url = new URL(`${idp.issuer}/authorize`);
  for (const [k, v] of Object.entries({
    client_id: 'msi-desktop',
    redirect_uri: 'http://127.0.0.1:1/auth/callback',
    response_type: 'code',
    code_challenge: 'a'.repeat(43),
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  const res = await fetch(`${idp.issuer}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: cookiesOf(page).join('; '),
      'x-forwarded-for': forwardedFor,
    },
    body: new URLSearchParams({
      request_id: formField(html, 'request_id'),
      csrf: formField(html, 'csrf'),
      username,
      password: 'wrong',
    }),
  });
  await res.body?.cancel();
  return res.status;
}

describe('TRUST_PROXY', () => {
  it('unset: a forged X-Forwarded-For does not give each attempt a new address', async () => {
    const idp = await startIdp();
    started.push(idp);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await failOnce(idp, 'linda_baker', `203.0.113.${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("set to the load balancer's address: the client address it forwards is the one throttled", async () => {
    const idp = await startIdp({ env: { TRUST_PROXY: '127.0.0.1' } });
    started.push(idp);
    const spread = [];
    for (let i = 0; i < 6; i++) spread.push(await failOnce(idp, 'linda_baker', `203.0.113.${i}`));
    expect(spread).toEqual([401, 401, 401, 401, 401, 401]);
    const one = [];
    for (let i = 0; i < 6; i++) one.push(await failOnce(idp, 'paul_morgan', '198.51.100.7'));
    expect(one).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('a malformed TRUST_PROXY stops the service with one line naming it (78)', () => {
    const { dir, cleanup } = tempDataDir('msi-idp-proxy-');
    try {
      const r = runToExit('idp', { MSI_DATA_DIR: dir, API_CLIENT_SECRET: 's', TRUST_PROXY: '10.0.0.0/8,lb' });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr.trim()).toBe(
        'idp: config: TRUST_PROXY must be comma-separated IP addresses or CIDR ranges (got "10.0.0.0/8,lb")',
      );
    } finally {
      cleanup();
    }
  });
});
