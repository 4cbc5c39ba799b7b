/** Each refusal of the issue, one test each, against the real IDP process over plain HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeToken,
  loginWithPassword,
  pkce,
  refresh,
  signInAt,
  startIdp,
  TEST_RENDERER_ORIGIN,
  type RunningIdp,
} from '../../../test/support/idp.js';

const REDIRECT = `${TEST_RENDERER_ORIGIN}/auth/callback`;
let idp: RunningIdp;

beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());

function authorizeUrl(params: Record<string, string | undefined>, issuer = idp.issuer) {
  const url = new URL(`${issuer}/authorize`);
  const defaults = {
    client_id: 'msi-desktop',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid offline_access api',
    state: 'st',
  };
  for (const [k, v] of Object.entries({ ...defaults, ...params }))
    if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

async function token(form: Record<string, string>, issuer = idp.issuer) {
  const res = await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** A code (with its verifier) for `username`, through the login form. */
async function code(username = 'alex_agent', issuer = idp.issuer) {
  const { verifier, challenge } = pkce();
  const back = await signInAt(
    authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }, issuer),
    username,
  );
  const c = back.searchParams.get('code');
  expect(c).toBeTruthy();
  return { code: c!, verifier };
}

const codeGrant = (c: { code: string; verifier: string }, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  client_id: 'msi-desktop',
  code: c.code,
  redirect_uri: REDIRECT,
  code_verifier: c.verifier,
  ...extra,
});

describe('IDP refusals', () => {
  it('refuses an authorization request without PKCE', async () => {
    const back = await signInAt(authorizeUrl({}), 'alex_agent');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE is required/);
    expect(back.searchParams.get('state')).toBe('st');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses plain PKCE', async () => {
    const { verifier } = pkce();
    const back = await signInAt(
      authorizeUrl({ code_challenge: verifier, code_challenge_method: 'plain' }),
      'alex_agent',
    );
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/S256/);
  });

  it('refuses a wrong code verifier', async () => {
    const c = await code();
    const res = await token(codeGrant(c, { code_verifier: pkce().verifier }));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(res.body.error_description).toMatch(/code_verifier does not match/);
  });

  it('refuses an unregistered redirect URI (shown at the IDP, never redirected to)', async () => {
    for (const uri of [
      'https://evil.example/auth/callback',
      'http://127.0.0.1:43124/other',
      'http://127.0.0.1:43124/auth/callback?x=1',
    ]) {
      const res = await fetch(
        authorizeUrl({ redirect_uri: uri, code_challenge: pkce().challenge, code_challenge_method: 'S256' }),
        {
          redirect: 'manual',
        },
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toMatch(/is not registered for msi-desktop/);
    }
    // Any loopback port is fine (RFC 8252), but the token request must name the same URI.
    const c = await code();
    const res = await token(codeGrant(c, { redirect_uri: 'http://127.0.0.1:9/auth/callback' }));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(res.body.error_description).toMatch(/redirect_uri does not match/);
  });

  it('refuses a reused code and revokes what the code gave', async () => {
    const c = await code();
    const first = await token(codeGrant(c));
    expect(first.status).toBe(200);
    const again = await token(codeGrant(c));
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(again.body.error_description).toMatch(/already used/);
    await expect(refresh(idp.issuer, first.body.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const info = await fetch(`${idp.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${first.body.access_token}` },
    });
    expect(info.status).toBe(401);
  });

  it('refuses an expired code', async () => {
    const short = await startIdp({ env: { IDP_CODE_TTL: '1' } });
    try {
      const c = await code('alex_agent', short.issuer);
      await new Promise((r) => setTimeout(r, 2100));
      const res = await token(codeGrant(c), short.issuer);
      expect(res).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the authorization code has expired' },
      });
    } finally {
      await short.stop();
    }
  });

  it('refuses a wrong password with the same message as an unknown user', async () => {
    const wrong = await loginWithPassword(idp.issuer, 'riley_agent', 'not-the-password').catch(
      (e: Error) => e,
    );
    const unknown = await loginWithPassword(idp.issuer, 'no_such_person', 'demo').catch((e: Error) => e);
    expect(wrong).toMatchObject({ status: 401, description: 'Wrong username or password.' });
    expect(unknown).toMatchObject({ status: 401, description: 'Wrong username or password.' });
  });

  it('refuses an unknown client at the authorization and token endpoints', async () => {
    const res = await fetch(
      authorizeUrl({ client_id: 'nobody', code_challenge: pkce().challenge, code_challenge_method: 'S256' }),
      {
        redirect: 'manual',
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toMatch(/Unknown client nobody/);
    const t = await token({
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'x',
      resource: idp.audiences.api,
    });
    expect(t).toMatchObject({
      status: 401,
      body: { error: 'invalid_client', error_description: 'unknown client nobody' },
    });
  });

  it('refuses a reused refresh token and revokes its whole family', async () => {
    const t = await loginWithPassword(idp.issuer, 'sam_supervisor');
    const next = await refresh(idp.issuer, t.refresh_token);
    await expect(refresh(idp.issuer, t.refresh_token)).rejects.toMatchObject({
      error: 'invalid_grant',
      description: expect.stringMatching(/already used/),
    });
    // The rotated one, held by the legitimate client, is dead too.
    await expect(refresh(idp.issuer, next.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a refresh refused for a bad scope, resource or client leaves the refresh token usable', async () => {
    const t = await loginWithPassword(idp.issuer, 'alex_agent');
    const base = { grant_type: 'refresh_token', client_id: 'msi-desktop', refresh_token: t.refresh_token };
    const scope = await token({ ...base, scope: 'openid admin:everything' });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const resource = await token({ ...base, resource: 'https://evil.example' });
    expect(resource).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const client = await token({ ...base, client_id: 'msi-api', client_secret: 'wrong' });
    expect(client.status).toBe(401);
    const api = await token({
      ...base,
      client_id: 'msi-api',
      client_secret: 'test-api-client-secret',
    });
    expect(api.status).toBe(400);
    const next = await refresh(idp.issuer, t.refresh_token);
    expect(next.access_token).toBeTruthy();
    await refresh(idp.issuer, next.refresh_token);
  });

  it('refuses token exchange by a client that may not (and by a wrong secret)', async () => {
    const t = await loginWithPassword(idp.issuer, 'alex_agent');
    const res = await token({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'msi-desktop',
      subject_token: t.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: idp.audiences.ticketing,
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect(res.body.error_description).toMatch(/may not exchange tokens/);
    await expect(
      exchangeToken(idp.issuer, {
        subjectToken: t.access_token,
        resource: idp.audiences.ticketing,
        clientSecret: 'wrong',
      }),
    ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
  });

  it('refuses to exchange a token that is not an API access token of this IDP', async () => {
    const t = await loginWithPassword(idp.issuer, 'alex_agent');
    const ticketing = await exchangeToken(idp.issuer, {
      subjectToken: t.access_token,
      resource: idp.audiences.ticketing,
    });
    await expect(
      exchangeToken(idp.issuer, {
        subjectToken: ticketing.access_token,
        resource: idp.audiences.organizations,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant', description: expect.stringMatching(/scope api/) });
    await expect(
      exchangeToken(idp.issuer, { subjectToken: t.id_token, resource: idp.audiences.organizations }),
    ).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(
      exchangeToken(idp.issuer, {
        subjectToken: t.access_token,
        resource: idp.audiences.organizations,
        scope: 'tickets:write',
      }),
    ).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses an unsupported grant type and a request without one', async () => {
    expect(await token({ grant_type: 'password', client_id: 'msi-desktop' })).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    expect(await token({ client_id: 'msi-desktop' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'grant_type is required' },
    });
  });
});
