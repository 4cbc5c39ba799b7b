/**
 * Sign-out from another site: without this session's ID token, GET /end-session only asks ("Sign out of
 * MSI Assistant?") and a POST of that page's one-time token signs out; with it, sign-out proceeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookiesOf,
  formField,
  submitLogin,
  loginWithPassword,
  pkce,
  startIdp,
  TEST_RENDERER_ORIGIN,
  type RunningIdp,
} from '../../../test/support/idp.js';

const REDIRECT = `${TEST_RENDERER_ORIGIN}/auth/callback`;
const SIGNED_OUT = `${TEST_RENDERER_ORIGIN}/auth/signed-out`;
let idp: RunningIdp;

beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());

function authorizeUrl(challenge: string, prompt?: string) {
  const q = new URLSearchParams({
    client_id: 'msi-desktop',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid offline_access api',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (prompt) q.set('prompt', prompt);
  return `${idp.issuer}/authorize?${q}`;
}

/** A browser signed in at the IDP: its session cookie and the tokens (with the ID token) of that sign-in. */
async function signIn(username: string) {
  const { verifier, challenge } = pkce();
  const page = await fetch(authorizeUrl(challenge), { redirect: 'manual' });
  const html = await page.text();
  const login = await submitLogin(page, html, username);
  const code = new URL(login.headers.get('location')!).searchParams.get('code')!;
  const session = cookiesOf(login).find((c) => c.startsWith('msi_idp_session='))!;
  const tokens = (await (
    await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'msi-desktop',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    })
  ).json()) as { id_token: string; refresh_token: string };
  return { session, tokens };
}

/** Whether the browser with this cookie is still signed in (prompt=none gives a code). */
async function stillSignedIn(session: string) {
  const res = await fetch(authorizeUrl(pkce().challenge, 'none'), {
    redirect: 'manual',
    headers: { cookie: session },
  });
  return new URL(res.headers.get('location')!).searchParams.has('code');
}

const endSession = (params: Record<string, string>, cookie: string) =>
  fetch(`${idp.issuer}/end-session?${new URLSearchParams(params)}`, {
    redirect: 'manual',
    headers: { cookie },
  });

describe('end-session', () => {
  it('without an id_token_hint only asks, and the person stays signed in', async () => {
    const { session } = await signIn('sam_supervisor');
    const res = await endSession({ client_id: 'msi-desktop', post_logout_redirect_uri: SIGNED_OUT }, session);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const html = await res.text();
    expect(html).toContain('Sign out of MSI Assistant?');
    expect(html).toMatch(/<form method="post" action="end-session\/confirm">/);
    expect(formField(html, 'confirmation')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(await stillSignedIn(session)).toBe(true);
  });

  it('with another session’s ID token (an attacker’s own) also only asks', async () => {
    const victim = await signIn('sam_supervisor');
    const attacker = await signIn('james_smith');
    const res = await endSession({ id_token_hint: attacker.tokens.id_token }, victim.session);
    expect(await res.text()).toContain('Sign out of MSI Assistant?');
    expect(await stillSignedIn(victim.session)).toBe(true);
  });

  it('confirmed by a POST of the page’s token from the same browser, it signs out and returns', async () => {
    const { session, tokens } = await signIn('alex_agent');
    const html = await (
      await endSession(
        { client_id: 'msi-desktop', post_logout_redirect_uri: SIGNED_OUT, state: 'bye' },
        session,
      )
    ).text();
    const confirm = (form: Record<string, string>, cookie: string) =>
      fetch(`${idp.issuer}/end-session/confirm`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams(form),
      });
    const token = formField(html, 'confirmation');
    const other = await signIn('riley_agent');
    expect((await confirm({ confirmation: 'forged', decision: 'sign_out' }, session)).status).toBe(403);
    expect((await confirm({ confirmation: token, decision: 'sign_out' }, other.session)).status).toBe(403);
    expect(await stillSignedIn(session)).toBe(true);
    const res = await confirm({ confirmation: token, decision: 'sign_out' }, session);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${SIGNED_OUT}?state=bye`);
    expect(await stillSignedIn(session)).toBe(false);
    const refreshed = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'msi-desktop',
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(refreshed.status).toBe(400);
    expect((await confirm({ confirmation: token, decision: 'sign_out' }, session)).status).toBe(403);
  });

  it('"Stay signed in" keeps the session', async () => {
    const { session } = await signIn('admin');
    const html = await (await endSession({}, session)).text();
    const res = await fetch(`${idp.issuer}/end-session/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session },
      body: new URLSearchParams({ confirmation: formField(html, 'confirmation'), decision: 'stay' }),
    });
    expect(await res.text()).toContain('You are still signed in');
    expect(await stillSignedIn(session)).toBe(true);
  });

  it('with this session’s ID token (as the renderer sends it) it signs out at once', async () => {
    const { session, tokens } = await signIn('paul_morgan');
    const res = await endSession(
      { id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT, state: 's' },
      session,
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${SIGNED_OUT}?state=s`);
    expect(await stillSignedIn(session)).toBe(false);
    // Without the cookie (another browser, the session already gone) the hint alone ends its sign-in.
    const other = await loginWithPassword(idp.issuer, 'linda_baker');
    expect((await endSession({ id_token_hint: other.id_token }, '')).status).toBe(200);
  });
});
