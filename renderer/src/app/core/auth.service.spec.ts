import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { AuthError, AuthService, safeReturnTo } from './auth.service';
import { BrowserLocation } from './browser-location';
import { ConfigService } from './config';
import { base64Url, challengeFor, createVerifier } from './pkce';

const ISSUER = 'http://127.0.0.1:9400';
const discovery = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  revocation_endpoint: `${ISSUER}/revoke`,
  end_session_endpoint: `${ISSUER}/end-session`,
};

/** An ID token of the configured provider for the desktop client (override iss/aud to test the checks). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)));
  return `${part({ alg: 'none' })}.${part({ iss: ISSUER, aud: 'msi-desktop', ...claims })}.sig`;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('PKCE', () => {
  it('computes the S256 challenge of RFC 7636, appendix B', async () => {
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes fresh 43-character URL-safe verifiers', () => {
    const a = createVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createVerifier()).not.toBe(a);
  });
});

describe('AuthService', () => {
  let auth: AuthService;
  let location: {
    origin: string;
    assign: ReturnType<typeof vi.fn>;
    replace: ReturnType<typeof vi.fn>;
  };
  let fetchMock: ReturnType<typeof vi.fn>;
  let tokenReplies: Response[];
  const tokenBodies: URLSearchParams[] = [];

  beforeEach(() => {
    sessionStorage.clear();
    tokenReplies = [];
    tokenBodies.length = 0;
    fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/.well-known/openid-configuration')) return json(discovery);
      if (url === discovery.token_endpoint) {
        tokenBodies.push(new URLSearchParams(String(init?.body)));
        return tokenReplies.shift() ?? json({ error: 'invalid_grant' }, 400);
      }
      if (url === discovery.revocation_endpoint) return new Response(null, { status: 200 });
      throw new TypeError('unexpected fetch ' + url);
    });
    vi.stubGlobal('fetch', fetchMock);
    location = { origin: 'http://127.0.0.1:4200', assign: vi.fn(), replace: vi.fn() };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: BrowserLocation, useValue: location }],
    });
    TestBed.inject(ConfigService).set({
      mode: 'local',
      issuer: ISSUER,
      clientId: 'msi-desktop',
      apiUrl: 'http://127.0.0.1:8000',
      scopes: 'openid profile offline_access',
    });
    auth = TestBed.inject(AuthService);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  async function signIn(expiresIn = 120): Promise<void> {
    await auth.signIn('/c/42');
    const url = new URL(location.assign.mock.calls[0][0] as string);
    tokenReplies.push(
      json({
        access_token: 'access-1',
        refresh_token: 'refresh-1',
        id_token: jwt({
          name: 'Alex Agent',
          roles: ['agent'],
          nonce: url.searchParams.get('nonce'),
        }),
        expires_in: expiresIn,
        token_type: 'Bearer',
      }),
    );
    const returnTo = await auth.completeSignIn(
      `http://127.0.0.1:4200/auth/callback?code=code-1&state=${url.searchParams.get('state')}`,
    );
    expect(returnTo).toBe('/c/42');
  }

  it('resumes silently: prompt=none, the entry replaced, and back to the page asked for', async () => {
    await auth.signIn('/c/42', { silent: true });
    expect(location.assign).not.toHaveBeenCalled();
    const url = new URL(location.replace.mock.calls[0][0] as string);
    expect(url.searchParams.get('prompt')).toBe('none');
    tokenReplies.push(
      json({ access_token: 'a', id_token: jwt({ nonce: url.searchParams.get('nonce') }) }),
    );
    const returnTo = await auth.completeSignIn(
      `http://127.0.0.1:4200/auth/callback?code=c&state=${url.searchParams.get('state')}`,
    );
    expect(returnTo).toBe('/c/42');
    expect(auth.signedIn()).toBe(true);
  });

  it('a silent resume whose session ended says so and keeps where the person was going', async () => {
    await auth.signIn('/c/42', { silent: true });
    const url = new URL(location.replace.mock.calls[0][0] as string);
    const error = await auth
      .completeSignIn(
        `http://127.0.0.1:4200/auth/callback?error=login_required&state=${url.searchParams.get('state')}`,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('login_required');
    expect((error as AuthError).returnTo).toBe('/c/42');
  });

  it('never returns to another origin', () => {
    expect(safeReturnTo('//evil.example/x')).toBe('/');
    expect(safeReturnTo('https://evil.example/x')).toBe('/');
    expect(safeReturnTo('/c/7?x=1')).toBe('/c/7?x=1');
  });

  it('sends an authorization request with PKCE S256 and exchanges the code with the verifier', async () => {
    await auth.signIn('/c/42');
    const url = new URL(location.assign.mock.calls[0][0] as string);
    expect(url.origin + url.pathname).toBe(discovery.authorization_endpoint);
    expect(url.searchParams.get('client_id')).toBe('msi-desktop');
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:4200/auth/callback');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const verifier = JSON.parse(sessionStorage.getItem('msi.signin')!).verifier as string;
    expect(url.searchParams.get('code_challenge')).toBe(await challengeFor(verifier));

    tokenReplies.push(
      json({
        access_token: 'access-1',
        refresh_token: 'refresh-1',
        id_token: jwt({ name: 'Alex Agent' }),
        expires_in: 300,
      }),
    );
    await auth.completeSignIn(
      `http://127.0.0.1:4200/auth/callback?code=abc&state=${url.searchParams.get('state')}`,
    );
    expect(tokenBodies[0].get('grant_type')).toBe('authorization_code');
    expect(tokenBodies[0].get('code_verifier')).toBe(verifier);
    expect(auth.signedIn()).toBe(true);
    expect(auth.claims()?.['name']).toBe('Alex Agent');
    expect(await auth.accessToken()).toBe('access-1');
    expect(sessionStorage.getItem('msi.signin')).toBeNull();
  });

  it('refuses a callback whose state does not match', async () => {
    await auth.signIn();
    await expect(
      auth.completeSignIn('http://127.0.0.1:4200/auth/callback?code=abc&state=forged'),
    ).rejects.toThrow(/does not match/);
    expect(auth.signedIn()).toBe(false);
  });

  it('pins the issuer: another issuer in discovery, in the answer (RFC 9207) or in the ID token is refused', async () => {
    fetchMock.mockImplementationOnce(async () =>
      json({ ...discovery, issuer: 'https://evil.example' }),
    );
    await expect(auth.signIn()).rejects.toThrow(
      `names the issuer https://evil.example, not the configured ${ISSUER}`,
    );

    await auth.signIn('/c/1');
    let url = new URL(location.assign.mock.calls[0][0] as string);
    await expect(
      auth.completeSignIn(
        `http://127.0.0.1:4200/auth/callback?code=c&state=${url.searchParams.get('state')}&iss=https%3A%2F%2Fevil.example`,
      ),
    ).rejects.toThrow('comes from https://evil.example, not from the configured identity provider');
    expect(tokenBodies).toHaveLength(0);

    for (const [claims, message] of [
      [{ iss: 'https://evil.example' }, 'issued by https://evil.example'],
      [{ aud: 'someone-else' }, 'not meant for this app'],
    ] as const) {
      location.assign.mockClear();
      await auth.signIn('/c/1');
      url = new URL(location.assign.mock.calls[0][0] as string);
      tokenReplies.push(
        json({
          access_token: 'a',
          id_token: jwt({ ...claims, nonce: url.searchParams.get('nonce') }),
          expires_in: 300,
        }),
      );
      await expect(
        auth.completeSignIn(
          `http://127.0.0.1:4200/auth/callback?code=c&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`,
        ),
      ).rejects.toThrow(message);
      expect(auth.signedIn()).toBe(false);
    }
  });

  it('shows the provider’s error when the sign-in was refused', async () => {
    await expect(
      auth.completeSignIn(
        'http://127.0.0.1:4200/auth/callback?error=access_denied&error_description=No%20access',
      ),
    ).rejects.toThrow('No access');
  });

  it('refreshes before expiry with the rotating refresh token', async () => {
    vi.useFakeTimers();
    await signIn(120);
    tokenReplies.push(
      json({ access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 120 }),
    );
    // 120 s lifetime: refreshed a fifth of it (24 s) before expiry.
    await vi.advanceTimersByTimeAsync(95_000);
    expect(tokenBodies).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(tokenBodies[1].get('grant_type')).toBe('refresh_token');
    expect(tokenBodies[1].get('refresh_token')).toBe('refresh-1');
    expect(await auth.accessToken()).toBe('access-2');

    tokenReplies.push(
      json({ access_token: 'access-3', refresh_token: 'refresh-3', expires_in: 120 }),
    );
    await vi.advanceTimersByTimeAsync(97_000);
    expect(tokenBodies[2].get('refresh_token')).toBe('refresh-2');
    expect(await auth.accessToken()).toBe('access-3');
  });

  it('refreshes on demand when the access token is about to expire, once for concurrent callers', async () => {
    vi.useFakeTimers();
    await signIn(3600);
    vi.setSystemTime(Date.now() + 3590_000);
    tokenReplies.push(
      json({ access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 3600 }),
    );
    const [a, b] = await Promise.all([auth.accessToken(), auth.accessToken()]);
    expect([a, b]).toEqual(['access-2', 'access-2']);
    expect(tokenBodies.filter((body) => body.get('grant_type') === 'refresh_token')).toHaveLength(
      1,
    );
  });

  it('signs out with a reason when the refresh token is rejected', async () => {
    vi.useFakeTimers();
    await signIn(3600);
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    vi.setSystemTime(Date.now() + 3600_000);
    await expect(auth.accessToken()).rejects.toThrow(/invalid_grant/);
    expect(auth.signedIn()).toBe(false);
    expect(auth.notice()).toMatch(/session has ended/);
    expect(navigate).toHaveBeenCalledWith('/sign-in', { replaceUrl: true });
    await expect(auth.accessToken()).rejects.toThrow(/signed out/);
  });

  it('signs out: revokes the refresh token and ends the session, replacing the history entry', async () => {
    await signIn();
    await auth.signOut();
    const revoke = fetchMock.mock.calls.find(([url]) => url === discovery.revocation_endpoint);
    expect(new URLSearchParams(String(revoke?.[1]?.body)).get('token')).toBe('refresh-1');
    const end = new URL(location.replace.mock.calls[0][0] as string);
    expect(end.origin + end.pathname).toBe(discovery.end_session_endpoint);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(
      'http://127.0.0.1:4200/auth/signed-out',
    );
    expect(auth.signedIn()).toBe(false);
    expect(location.assign).toHaveBeenCalledTimes(1);
  });
});
