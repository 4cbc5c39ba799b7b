/** Malformed requests get RFC 6749 answers from the real IDP process, never a 500. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_CLIENT_ID,
  pkce,
  startIdp,
  TEST_API_CLIENT_SECRET,
  type RunningIdp,
} from '../../../test/support/idp.js';

let idp: RunningIdp;

beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());

async function post(path: string, body: URLSearchParams | object) {
  const res = await fetch(`${idp.issuer}${path}`, {
    method: 'POST',
    ...(body instanceof URLSearchParams
      ? { body }
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A well-formed /authorize request of the desktop client (a fresh PKCE challenge each time). */
function authorizeParams(): Record<string, string> {
  return {
    client_id: 'msi-desktop',
    redirect_uri: 'http://127.0.0.1:43125/auth/callback',
    response_type: 'code',
    scope: 'openid api',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  };
}

describe('IDP bad input', () => {
  it('answers a repeated or non-string client_secret with invalid_request, not a 500', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: API_CLIENT_ID,
      resource: idp.audiences.api,
    });
    form.append('client_secret', TEST_API_CLIENT_SECRET);
    form.append('client_secret', 'other');
    for (const path of ['/token', '/revoke']) {
      const res = await post(path, new URLSearchParams([...form, ['token', 'x']]));
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(res.body.error_description).toMatch(/client_secret/);
    }
    const json = await post('/token', {
      grant_type: 'client_credentials',
      client_id: API_CLIENT_ID,
      client_secret: 5,
      resource: idp.audiences.api,
    });
    expect(json).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('answers an unreadable body at /token and /revoke with invalid_request and an error_description', async () => {
    for (const path of ['/token', '/revoke']) {
      for (const [type, body] of [
        ['application/json', '{not json'],
        ['multipart/form-data; boundary=x', '--x\r\n'],
        ['application/x-www-form-urlencoded', `grant_type=${'a'.repeat(2 * 1024 * 1024)}`],
      ] as const) {
        const res = await fetch(`${idp.issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        });
        expect(res.status).toBe(400);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const json = (await res.json()) as Record<string, string>;
        expect(json.error).toBe('invalid_request');
        expect(json.error_description).toMatch(/body/);
      }
    }
  });

  it('answers a repeated query parameter at /authorize and /end-session with a 400 naming it, never a redirect', async () => {
    const base = { ...authorizeParams(), state: 's1' };
    for (const name of ['client_id', 'redirect_uri', 'state']) {
      const q = new URLSearchParams(base);
      q.append(name, 'again');
      const res = await fetch(`${idp.issuer}/authorize?${q}`, { redirect: 'manual' });
      expect(res.status, name).toBe(400);
      expect(res.headers.get('location'), name).toBeNull();
      expect(await res.text(), name).toContain(`${name} must be given once`);
    }
    for (const name of ['client_id', 'state', 'post_logout_redirect_uri', 'id_token_hint']) {
      const q = new URLSearchParams([
        [name, 'a'],
        [name, 'b'],
      ]);
      const res = await fetch(`${idp.issuer}/end-session?${q}`, { redirect: 'manual' });
      expect(res.status, name).toBe(400);
      expect(await res.text(), name).toContain(`${name} must be given once`);
    }
  });

  it('refuses a foreign Host (DNS rebinding) with 421, except the health probe', async () => {
    // fetch() will not send a foreign Host header; node:http will.
    const statusFor = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${idp.issuer}${path}`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const port = new URL(idp.issuer).port;
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/authorize', '/end-session'])
      expect(await statusFor(path, `evil.example:${port}`), path).toBe(421);
    expect(await statusFor('/jwks', `localhost:${port}`)).toBe(200);
    expect(await statusFor('/healthz', 'evil.example')).toBe(200);
  });

  it('ignores a foreign cookie with a malformed %-escape (loopback cookies are shared across ports)', async () => {
    const url = new URL(`${idp.issuer}/authorize`);
    for (const [k, v] of Object.entries(authorizeParams())) url.searchParams.set(k, v);
    const headers = { cookie: 'other_app=50%off; theme=dark' };
    const page = await fetch(url, { headers, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Sign in/);
    const out = await fetch(`${idp.issuer}/end-session`, { headers, redirect: 'manual' });
    expect(out.status).toBe(200);
  });
});
