/**
 * The desktop client's code goes without asking only to the renderer's own origin (ALLOWED_ORIGINS);
 * any other loopback port (a local listener) gets it only after the person allows it on a consent page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookiesOf,
  formField,
  submitLogin,
  pkce,
  signInAt,
  startIdp,
  TEST_RENDERER_ORIGIN,
  type RunningIdp,
} from '../../../test/support/idp.js';

const FOREIGN = 'http://127.0.0.1:43199/auth/callback';
let idp: RunningIdp;

beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());

function authorizeUrl(redirectUri: string, extra: Record<string, string> = {}) {
  const url = new URL(`${idp.issuer}/authorize`);
  const q = {
    client_id: 'msi-desktop',
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid offline_access api',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'st',
    ...extra,
  };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  return url;
}

/** A browser signed in at the IDP (its session cookie), through the renderer's own redirect URI. */
async function signedInBrowser(username = 'sam_supervisor') {
  const page = await fetch(authorizeUrl(`${TEST_RENDERER_ORIGIN}/auth/callback`), { redirect: 'manual' });
  const html = await page.text();
  const login = await submitLogin(page, html, username);
  expect(login.status).toBe(302);
  expect(new URL(login.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  return cookiesOf(login).find((c) => c.startsWith('msi_idp_session='))!;
}

async function consentFor(session: string, redirectUri = FOREIGN) {
  const res = await fetch(authorizeUrl(redirectUri), { redirect: 'manual', headers: { cookie: session } });
  const html = await res.text();
  const csrfCookie = cookiesOf(res).find((c) => c.startsWith('msi_idp_csrf='))!;
  return { res, html, requestId: formField(html, 'request_id'), csrf: formField(html, 'csrf'), csrfCookie };
}

const answer = (form: Record<string, string>, cookie: string) =>
  fetch(`${idp.issuer}/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(form),
  });

describe('desktop redirect URIs', () => {
  it('a signed-in person gives no code silently to another loopback port: a consent page names the client and scopes', async () => {
    const session = await signedInBrowser();
    const { res, html } = await consentFor(session);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(html).toContain('Allow access?');
    expect(html).toContain('MSI Assistant (desktop app)');
    expect(html).toContain('http://127.0.0.1:43199');
    expect(html).toContain('Sam');
    for (const scope of ['openid', 'offline_access', 'api']) expect(html).toContain(`<code>${scope}</code>`);
    expect(html).toMatch(/<button[^>]*value="allow">Allow<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny">Deny<\/button>/);
  });

  it('the renderer origin by another loopback name is the same app: no consent', async () => {
    const session = await signedInBrowser();
    const port = new URL(TEST_RENDERER_ORIGIN).port;
    const res = await fetch(authorizeUrl(`http://localhost:${port}/auth/callback`), {
      redirect: 'manual',
      headers: { cookie: session },
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('Allow gives the code to that port; Deny gives access_denied', async () => {
    const session = await signedInBrowser();
    const allow = await consentFor(session);
    const yes = await answer(
      { request_id: allow.requestId, csrf: allow.csrf, decision: 'allow' },
      `${session}; ${allow.csrfCookie}`,
    );
    expect(yes.status).toBe(302);
    const back = new URL(yes.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(FOREIGN);
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('st');

    const deny = await consentFor(session);
    const no = await answer(
      { request_id: deny.requestId, csrf: deny.csrf, decision: 'deny' },
      `${session}; ${deny.csrfCookie}`,
    );
    const denied = new URL(no.headers.get('location')!);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('code')).toBeNull();
  });

  it('refuses a forged answer: wrong CSRF token, no CSRF cookie, another browser, a replay', async () => {
    const session = await signedInBrowser();
    const other = await signedInBrowser('alex_agent');
    const c = await consentFor(session);
    const form = { request_id: c.requestId, csrf: c.csrf, decision: 'allow' };
    expect((await answer({ ...form, csrf: 'forged' }, `${session}; ${c.csrfCookie}`)).status).toBe(403);
    expect((await answer(form, session)).status).toBe(403);
    expect((await answer(form, `${other}; ${c.csrfCookie}`)).status).toBe(403);
    expect((await answer(form, c.csrfCookie)).status).toBe(403);
    expect((await answer(form, `${session}; ${c.csrfCookie}`)).status).toBe(302);
    expect((await answer(form, `${session}; ${c.csrfCookie}`)).status).toBe(400);
  });

  it('prompt=none to another port is consent_required, never a code', async () => {
    const session = await signedInBrowser();
    const res = await fetch(authorizeUrl(FOREIGN, { prompt: 'none' }), {
      redirect: 'manual',
      headers: { cookie: session },
    });
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('consent_required');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('signing in for another port asks for consent after the password', async () => {
    await expect(signInAt(authorizeUrl(FOREIGN), 'alex_agent')).rejects.toMatchObject({ status: 200 });
  });
});
