import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { BrowserLocation } from './browser-location';
import { ConfigService, messageOf } from './config';
import { challengeFor, createVerifier, decodeJwt, randomString } from './pkce';

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
  end_session_endpoint?: string;
}

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch ms. */
  expiresAt: number;
  lifetimeMs: number;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  returnTo: string;
  /** Asked with prompt=none: the identity provider answers at once, without a page. */
  silent?: boolean;
}

export class AuthError extends Error {
  constructor(
    message: string,
    readonly code = 'auth_error',
    /** Where the person was going when the sign-in failed. */
    readonly returnTo?: string,
  ) {
    super(message);
  }
}

export interface SignInOptions {
  /**
   * Resume a session the identity provider still has (a reload, a pasted link): `prompt=none`, and the
   * redirect replaces this history entry so Back does not land on it again.
   */
  silent?: boolean;
}

/** A same-app path (never another origin), else "/". */
export function safeReturnTo(returnTo: string | undefined | null): string {
  return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
}

/**
 * The ID token must be from the configured issuer and for this client (OIDC Core §3.1.3.7, items 2-3).
 * It comes straight from the token endpoint over the connection the app opened, so its signature is not
 * checked here (§3.1.3.7 item 6); the API checks the access token's.
 */
export function checkIdToken(
  claims: Record<string, unknown>,
  issuer: string,
  clientId: string,
): void {
  const iss = typeof claims['iss'] === 'string' ? claims['iss'].replace(/\/+$/, '') : undefined;
  if (iss !== issuer)
    throw new AuthError(
      `The ID token was issued by ${iss ?? 'nobody named'}, not by the configured identity provider ${issuer}. Sign in again.`,
      'issuer_mismatch',
    );
  const aud = claims['aud'];
  if (!(aud === clientId || (Array.isArray(aud) && aud.includes(clientId))))
    throw new AuthError(
      `The ID token is not meant for this app (audience ${JSON.stringify(aud)}, expected ${clientId}). Sign in again.`,
      'audience_mismatch',
    );
}

const PENDING_KEY = 'msi.signin';
/** Refresh this long before the access token expires (or a fifth of its lifetime when that is shorter). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * OpenID Connect sign-in as a public client: authorization code + PKCE (S256) done in the browser. Tokens
 * live in memory only; the one-time PKCE verifier survives the redirect in sessionStorage and is removed
 * as soon as it is used. The access token is refreshed before it expires with the rotating refresh token.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly config = inject(ConfigService);
  private readonly router = inject(Router);
  private readonly location = inject(BrowserLocation);

  private tokens: Tokens | null = null;
  private discovered: Promise<Discovery> | null = null;
  private refreshing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  private readonly idClaims = signal<Record<string, unknown> | null>(null);
  readonly signedIn = computed(() => this.idClaims() !== null);
  /** Claims of the ID token (for display): preferred_username, name, roles, … */
  readonly claims = this.idClaims.asReadonly();
  /** Why the person was signed out, shown on the sign-in page. */
  readonly notice = signal<string | null>(null);

  get redirectUri(): string {
    return `${this.location.origin}/auth/callback`;
  }

  discovery(): Promise<Discovery> {
    this.discovered ??= this.fetchDiscovery().catch((error) => {
      this.discovered = null;
      throw error;
    });
    return this.discovered;
  }

  /** Starts the sign-in: redirects to the identity provider's authorization endpoint. */
  async signIn(returnTo = '/', options: SignInOptions = {}): Promise<void> {
    const { issuer, clientId, scopes, apiUrl } = this.config.config;
    const discovery = await this.discovery();
    const pending: PendingSignIn = {
      state: randomString(),
      verifier: createVerifier(),
      nonce: randomString(),
      redirectUri: this.redirectUri,
      returnTo: safeReturnTo(returnTo),
      ...(options.silent ? { silent: true } : {}),
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(discovery.authorization_endpoint, issuer);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: pending.redirectUri,
      scope: scopes || 'openid profile offline_access',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await challengeFor(pending.verifier),
      code_challenge_method: 'S256',
      resource: apiUrl,
      ...(options.silent ? { prompt: 'none' } : {}),
    }).toString();
    if (options.silent) this.location.replace(url.toString());
    else this.location.assign(url.toString());
  }

  /** Completes the sign-in on /auth/callback; returns where to go next. */
  async completeSignIn(callbackUrl: string): Promise<string> {
    const params = new URL(callbackUrl).searchParams;
    const raw = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
    const { issuer, clientId } = this.config.config;
    // RFC 9207: a provider that names itself in the answer must be the configured one (mix-up attacks).
    const answeredBy = params.get('iss');
    if (answeredBy !== null && answeredBy.replace(/\/+$/, '') !== issuer)
      throw new AuthError(
        `The sign-in answer comes from ${answeredBy}, not from the configured identity provider ${issuer}. Sign in again.`,
        'issuer_mismatch',
        pending?.returnTo,
      );
    const error = params.get('error');
    if (error && pending?.silent && ['login_required', 'interaction_required'].includes(error))
      throw new AuthError(
        'Your session has ended. Sign in again.',
        'login_required',
        pending.returnTo,
      );
    if (error)
      throw new AuthError(
        params.get('error_description') || `The sign-in was refused (${error}).`,
        error,
        pending?.returnTo,
      );
    if (!pending)
      throw new AuthError('This sign-in link has already been used or has expired. Sign in again.');
    const code = params.get('code');
    if (!code) throw new AuthError('The identity provider sent no authorization code.');
    if (params.get('state') !== pending.state)
      throw new AuthError('The sign-in answer does not match the request (state). Sign in again.');
    const tokens = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.verifier,
    });
    const claims = tokens.idToken ? decodeJwt(tokens.idToken) : {};
    if (tokens.idToken) checkIdToken(claims, issuer, clientId);
    if (tokens.idToken && claims['nonce'] !== undefined && claims['nonce'] !== pending.nonce)
      throw new AuthError(
        'The ID token does not match the sign-in request (nonce). Sign in again.',
      );
    this.accept(tokens, claims);
    this.notice.set(null);
    return pending.returnTo;
  }

  /** A valid access token for the API, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const tokens = this.tokens;
    if (!tokens) throw new AuthError('You are signed out. Sign in to continue.', 'signed_out');
    if (tokens.expiresAt - Date.now() > 30_000) return tokens.accessToken;
    return this.refresh();
  }

  /** Uses the refresh token (which rotates: the new one replaces it). Concurrent callers share one request. */
  refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Revokes the refresh token, ends the IDP session and returns to the sign-in page (history replaced). */
  async signOut(): Promise<void> {
    const tokens = this.tokens;
    this.clear();
    this.notice.set(null);
    let discovery: Discovery | null = null;
    try {
      discovery = await this.discovery();
      if (tokens?.refreshToken && discovery.revocation_endpoint) {
        await this.revoke(discovery.revocation_endpoint, tokens.refreshToken);
      }
    } catch {
      // Signing out locally must still work when the identity provider cannot be reached.
    }
    if (discovery?.end_session_endpoint) {
      const url = new URL(discovery.end_session_endpoint);
      url.searchParams.set('client_id', this.config.config.clientId);
      url.searchParams.set('post_logout_redirect_uri', `${this.location.origin}/auth/signed-out`);
      if (tokens?.idToken) url.searchParams.set('id_token_hint', tokens.idToken);
      this.location.replace(url.toString());
    } else {
      await this.router.navigateByUrl('/sign-in', { replaceUrl: true });
    }
  }

  /**
   * Signs out without leaving the page (the caller reloads the window next, e.g. after a mode change):
   * the refresh token is revoked when the identity provider answers within a few seconds, then forgotten.
   */
  async signOutHere(): Promise<void> {
    const tokens = this.tokens;
    this.clear();
    if (!tokens?.refreshToken || !this.discovered) return;
    try {
      const discovery = await this.discovered;
      if (!discovery.revocation_endpoint) return;
      await this.revoke(
        discovery.revocation_endpoint,
        tokens.refreshToken,
        typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(3000) : undefined,
      );
    } catch {
      // The old identity provider may be gone already (Local → Remote stops it): nothing to revoke there.
    }
  }

  /** Forgets the tokens and shows the sign-in page with the reason (e.g. the session ended). */
  async expire(reason: string): Promise<void> {
    this.clear();
    this.notice.set(reason);
    await this.router.navigateByUrl('/sign-in', { replaceUrl: true });
  }

  /** Revokes a refresh token at the identity provider (RFC 7009). */
  private async revoke(
    endpoint: string,
    refreshToken: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: refreshToken,
        token_type_hint: 'refresh_token',
        client_id: this.config.config.clientId,
      }),
      signal,
    });
  }

  private async doRefresh(): Promise<string> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      await this.expire('Your session has ended. Sign in again.');
      throw new AuthError('Your session has ended. Sign in again.', 'signed_out');
    }
    try {
      const tokens = await this.tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      });
      const claims = tokens.idToken ? decodeJwt(tokens.idToken) : null;
      if (claims) checkIdToken(claims, this.config.config.issuer, this.config.config.clientId);
      this.accept(
        {
          ...tokens,
          refreshToken: tokens.refreshToken ?? refreshToken,
          idToken: tokens.idToken ?? this.tokens?.idToken,
        },
        claims ?? this.idClaims() ?? {},
      );
      return tokens.accessToken;
    } catch (error) {
      const rejected = error instanceof AuthError && error.code !== 'network';
      if (rejected || !this.tokens || this.tokens.expiresAt <= Date.now()) {
        await this.expire('Your session has ended. Sign in again.');
      } else {
        this.schedule(10_000);
      }
      throw error;
    }
  }

  private accept(tokens: Tokens, claims: Record<string, unknown>): void {
    this.tokens = tokens;
    this.idClaims.set(claims);
    const margin = Math.min(REFRESH_MARGIN_MS, tokens.lifetimeMs / 5);
    this.schedule(Math.max(1_000, tokens.expiresAt - margin - Date.now()));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch(() => undefined), delayMs);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.tokens = null;
    this.idClaims.set(null);
  }

  private async tokenRequest(params: Record<string, string>): Promise<Tokens> {
    const discovery = await this.discovery();
    const { clientId, apiUrl } = this.config.config;
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body: new URLSearchParams({ ...params, client_id: clientId, resource: apiUrl }),
      });
    } catch (error) {
      throw new AuthError(`Could not reach the identity provider: ${messageOf(error)}.`, 'network');
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body['access_token'] !== 'string') {
      const description = body['error_description'] ?? body['error'] ?? `HTTP ${response.status}`;
      throw new AuthError(
        `The identity provider refused the token request: ${description}.`,
        String(body['error'] ?? 'token_error'),
      );
    }
    const lifetimeMs = (Number(body['expires_in']) || 300) * 1000;
    return {
      accessToken: body['access_token'],
      refreshToken: typeof body['refresh_token'] === 'string' ? body['refresh_token'] : undefined,
      idToken: typeof body['id_token'] === 'string' ? body['id_token'] : undefined,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
    };
  }

  private async fetchDiscovery(): Promise<Discovery> {
    const { issuer } = this.config.config;
    const url = `${issuer}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new AuthError(
        `Could not reach the identity provider at ${issuer}: ${messageOf(error)}.`,
        'network',
      );
    }
    if (!response.ok)
      throw new AuthError(
        `The identity provider's discovery document (${url}) answered HTTP ${response.status}.`,
      );
    const discovery = (await response.json()) as Discovery;
    // The issuer is pinned: a discovery document naming another one is not this provider's (OIDC
    // Discovery §4.3), whatever its endpoints say.
    if (typeof discovery.issuer !== 'string' || discovery.issuer.replace(/\/+$/, '') !== issuer)
      throw new AuthError(
        `The discovery document at ${url} names the issuer ${String(discovery.issuer)}, not the configured ${issuer}.`,
        'issuer_mismatch',
      );
    if (!discovery.authorization_endpoint || !discovery.token_endpoint)
      throw new AuthError(
        `The discovery document at ${url} has no authorization or token endpoint.`,
      );
    return discovery;
  }
}
