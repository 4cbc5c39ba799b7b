/**
 * openid-client (unchanged, as a Keycloak/Okta client would use it) against the real IDP process:
 * discovery, code + PKCE through the login form, id_token validation, refresh rotation, token exchange,
 * client credentials, userinfo, revocation, end-session — on both backends (SQLite, PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createTokenVerifier } from '@msi/kit';
import {
  signInAt,
  startIdp,
  TEST_API_CLIENT_SECRET,
  TEST_RENDERER_ORIGIN,
  type RunningIdp,
} from '../../../test/support/idp.js';
import { backends, freshDatabase, type FreshDatabase } from '../../../test/support/database.js';

const REDIRECT = `${TEST_RENDERER_ORIGIN}/auth/callback`;
const insecure = { execute: [oidc.allowInsecureRequests] };

let idp: RunningIdp;
let desktop: oidc.Configuration;
let api: oidc.Configuration;
let pgdb: FreshDatabase | undefined;

/** The desktop's authorization URL with a PKCE (S256) challenge for `verifier`. */
async function authorizationUrl(verifier: string, params: Record<string, string>) {
  return oidc.buildAuthorizationUrl(desktop, {
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  });
}

/** The whole code flow with openid-client: authorization URL, the login form, the code grant. */
async function signIn(username: string, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await authorizationUrl(verifier, {
    scope: 'openid profile email offline_access api',
    state,
    nonce,
    prompt: 'login',
    ...extra,
  });
  const callback = await signInAt(url, username);
  const tokens = await oidc.authorizationCodeGrant(desktop, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, nonce };
}

describe.each(backends())('IDP with openid-client on %s', (backend) => {
  beforeAll(async () => {
    pgdb = backend === 'postgres' ? await freshDatabase('idp_oidc') : undefined;
    idp = await startIdp({ env: pgdb ? { DATABASE_URL: pgdb.url } : {} });
    desktop = await oidc.discovery(new URL(idp.issuer), 'msi-desktop', undefined, oidc.None(), insecure);
    api = await oidc.discovery(
      new URL(idp.issuer),
      'msi-api',
      undefined,
      oidc.ClientSecretBasic(TEST_API_CLIENT_SECRET),
      insecure,
    );
  });
  afterAll(async () => {
    await idp?.stop();
    await pgdb?.drop();
  });

  it('publishes discovery that names its endpoints and what it supports', async () => {
    const m = desktop.serverMetadata();
    expect(m.issuer).toBe(idp.issuer);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange');
    const as = (await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json()) as {
      token_endpoint: string;
    };
    expect(as.token_endpoint).toBe(m.token_endpoint);
    const jwks = (await (await fetch(m.jwks_uri!)).json()) as { keys: Record<string, string>[] };
    // ES256 for access tokens and the desktop app's ID tokens; RS256, OpenID Connect's default, for others.
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.find((k) => k.alg === 'ES256')).toMatchObject({ kty: 'EC', use: 'sig' });
    expect(jwks.keys.find((k) => k.alg === 'RS256')).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
    for (const k of jwks.keys) {
      expect(k.kid).toBeTruthy();
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[secret]).toBeUndefined();
    }
    expect(m.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('signs in with code + PKCE; the id_token is validated (nonce) and the access token is for the API', async () => {
    const { tokens, nonce } = await signIn('alex_agent');
    const id = tokens.claims()!;
    expect(id.nonce).toBe(nonce);
    expect(id.aud).toBe('msi-desktop');
    expect(id).toMatchObject({ preferred_username: 'alex_agent', name: 'Alex Rivera', roles: ['agent'] });
    expect(tokens.expires_in).toBeGreaterThan(800);
    expect(tokens.expires_in).toBeLessThanOrEqual(900);

    const p = await verifierFor(idp.audiences.api).verify(tokens.access_token);
    expect(p).toMatchObject({
      username: 'alex_agent',
      roles: ['agent'],
      clientId: 'msi-desktop',
      isService: false,
    });
    expect(p.organizations).toContain('dallas-police');
    expect(p.scopes).toContain('api');
    expect(p.sub).toBe(id.sub);
  });

  it('answers userinfo with the person’s claims', async () => {
    const { tokens } = await signIn('james_smith');
    const info = await oidc.fetchUserInfo(desktop, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({
      preferred_username: 'james_smith',
      email: 'james.smith@dallaspolice.example',
      roles: ['customer'],
      organizations: ['dallas-police'],
    });
  });

  it('rotates refresh tokens', async () => {
    const { tokens } = await signIn('riley_agent');
    const next = await oidc.refreshTokenGrant(desktop, tokens.refresh_token!);
    expect(next.refresh_token).toBeTruthy();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    const third = await oidc.refreshTokenGrant(desktop, next.refresh_token!);
    expect(third.claims()!.sub).toBe(tokens.claims()!.sub);
  });

  it('exchanges the API token for a ticketing token: same person, narrowed scope, short life, act', async () => {
    const { tokens } = await signIn('alex_agent');
    const res = await oidc.genericGrantRequest(api, 'urn:ietf:params:oauth:grant-type:token-exchange', {
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: idp.audiences.ticketing,
      scope: 'tickets:read orgs:write',
    });
    expect(res.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(res.scope).toBe('tickets:read');
    expect(res.expires_in).toBeLessThanOrEqual(300);
    const verifier = verifierFor(idp.audiences.ticketing);
    const p = await verifier.verify(res.access_token);
    expect(p).toMatchObject({
      username: 'alex_agent',
      roles: ['agent'],
      clientId: 'msi-api',
      scopes: ['tickets:read'],
    });
    expect(p.organizations).toEqual(
      (await verifierFor(idp.audiences.api).verify(tokens.access_token)).organizations,
    );
    const claims = JSON.parse(Buffer.from(res.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims.act).toEqual({ sub: 'msi-api' });
    // The API token is no good at the ticketing server, and the ticketing token none at the API.
    await expect(verifier.verify(tokens.access_token)).rejects.toThrow(/audience/);
  });

  it('gives client-credentials tokens with no person and no roles', async () => {
    const res = await oidc.clientCredentialsGrant(api, { resource: idp.audiences.organizations });
    expect(res.scope).toBe('orgs:read orgs:write');
    const p = await verifierFor(idp.audiences.organizations).verify(res.access_token);
    expect(p).toMatchObject({ sub: 'msi-api', isService: true, roles: [], organizations: [] });
  });

  it('revokes a refresh token (the whole sign-in) and an access token at this IDP', async () => {
    const { tokens } = await signIn('linda_baker');
    await oidc.tokenRevocation(desktop, tokens.access_token);
    await expect(oidc.fetchUserInfo(desktop, tokens.access_token, oidc.skipSubjectCheck)).rejects.toThrow();

    const other = await signIn('linda_baker');
    await oidc.tokenRevocation(desktop, other.tokens.refresh_token!);
    await expect(oidc.refreshTokenGrant(desktop, other.tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(
      oidc.genericGrantRequest(api, 'urn:ietf:params:oauth:grant-type:token-exchange', {
        subject_token: other.tokens.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        resource: idp.audiences.ticketing,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('ends the session: back to a loopback post-logout URI with state, and the sign-in’s refresh token is dead', async () => {
    const { tokens } = await signIn('paul_morgan');
    const url = oidc.buildEndSessionUrl(desktop, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:43123/',
      state: 'bye',
    });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:43123/?state=bye');
    await expect(oidc.refreshTokenGrant(desktop, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });

    const bad = await fetch(
      oidc.buildEndSessionUrl(desktop, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'https://evil.example/',
      }),
      { redirect: 'manual' },
    );
    expect(bad.status).toBe(400);
  });

  it('refuses a resource it does not serve (invalid_target)', async () => {
    await expect(
      oidc.clientCredentialsGrant(api, { resource: 'http://127.0.0.1:1/elsewhere' }),
    ).rejects.toMatchObject({
      error: 'invalid_target',
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await authorizationUrl(verifier, {
      scope: 'openid api',
      state: 's1',
      resource: 'http://127.0.0.1:1/elsewhere',
    });
    const back = await signInAt(url, 'alex_agent');
    expect(back.searchParams.get('error')).toBe('invalid_target');
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('allows only the renderer’s origin by CORS on the token endpoint, not another loopback port or site', async () => {
    const pre = (origin: string) =>
      fetch(`${idp.issuer}/token`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const port = new URL(TEST_RENDERER_ORIGIN).port;
    for (const origin of [TEST_RENDERER_ORIGIN, `http://localhost:${port}`])
      expect((await pre(origin)).headers.get('access-control-allow-origin'), origin).toBe(origin);
    for (const origin of ['https://evil.example', 'http://127.0.0.1:4200', 'http://localhost:43123', 'null'])
      expect((await pre(origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
  });
});

function verifierFor(audience: string) {
  return createTokenVerifier({ issuer: idp.issuer, audience });
}
