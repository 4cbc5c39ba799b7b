import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GRANT, type Client } from '../clients.js';
import {
  cookies,
  CSRF_COOKIE,
  OIDC_SCOPES,
  one,
  SESSION_COOKIE,
  setCookie,
  splitScope,
  targetResource,
  type Idp,
} from '../context.js';
import { consentPage, loginPage, messagePage } from '../login-page.js';
import { OAuthError } from '../oauth-error.js';
import { verifyPassword } from '../passwords.js';
import { randomToken, Store, type User } from '../store.js';
import { Throttle } from '../throttle.js';

/** A validated authorization request waiting for the person to sign in. */
interface PendingRequest {
  client: Client;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scope: string[];
  resource: string;
  codeChallenge: string;
  csrf: string;
  expiresAt: number;
  /** The redirect URI is not the client's trusted one: the person is asked before a code goes there. */
  needsConsent: boolean;
  /** Who signed in for it, once they have (while the consent page waits for them). */
  signedIn?: { user: User; session: { hash: string; authTime: number } };
}

const PENDING_TTL_MS = 10 * 60_000;
const SESSION_TTL_SECONDS = 8 * 3600;
const MAX_PARAM = 1024;
const PKCE = /^[A-Za-z0-9._~-]{43,128}$/;
const WRONG = 'Wrong username or password.';
const LOOPBACK_IPS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const html = (reply: FastifyReply, status: number, body: string) =>
  reply
    .status(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    )
    .header('X-Frame-Options', 'DENY')
    .header('Referrer-Policy', 'no-referrer')
    .send(body);

/**
 * `GET /authorize` (code flow, PKCE S256 required, RFC 8707 `resource`) and `POST /login` (the sign-in
 * form, CSRF-protected and throttled). Errors about the client or redirect URI are shown here; all others
 * go back to the client's redirect URI (RFC 6749 §4.1.2.1).
 */
export function authorizeRoutes(app: FastifyInstance, idp: Idp): void {
  const pending = new Map<string, PendingRequest>();
  // Per username and client address (the usual lock), per username from anywhere (guessing one account
  // from many addresses), per address (one address guessing many accounts). On loopback every person of
  // the machine shares the address, so the per-address counter there would lock everyone out.
  const byUserAndAddress = new Throttle(5);
  const byUser = new Throttle(20);
  const byAddress = new Throttle(50);

  const sweep = () => {
    const t = Date.now();
    for (const [k, p] of pending) if (p.expiresAt < t) pending.delete(k);
  };

  const redirectWith = (
    reply: FastifyReply,
    p: Pick<PendingRequest, 'redirectUri' | 'state'>,
    params: Record<string, string>,
  ) => {
    const url = new URL(p.redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (p.state !== undefined) url.searchParams.set('state', p.state);
    url.searchParams.set('iss', idp.cfg.issuer);
    return reply.header('Cache-Control', 'no-store').redirect(url.toString(), 302);
  };

  const issueCode = async (
    reply: FastifyReply,
    p: PendingRequest,
    user: User,
    session: { hash: string; authTime: number },
  ) => {
    const { code } = await idp.store.createGrantWithCode(
      {
        userId: user.id,
        clientId: p.client.id,
        sessionHash: session.hash,
        scope: p.scope.join(' '),
        resource: p.resource,
        authTime: session.authTime,
      },
      {
        redirectUri: p.redirectUri,
        codeChallenge: p.codeChallenge,
        nonce: p.nonce ?? null,
        ttl: idp.cfg.IDP_CODE_TTL,
      },
    );
    return redirectWith(reply, p, { code });
  };

  const showLogin = async (
    reply: FastifyReply,
    requestId: string,
    p: PendingRequest,
    status = 200,
    error?: string,
    username?: string,
  ) => {
    setCookie(reply, CSRF_COOKIE, p.csrf, PENDING_TTL_MS / 1000);
    const demoUsers = idp.cfg.IDP_DEMO
      ? (await idp.store.users()).map((u) => ({ username: u.username, name: u.name, role: u.role }))
      : undefined;
    return html(reply, status, loginPage({ requestId, csrf: p.csrf, error, username, demoUsers }));
  };

  /** Asks the signed-in person whether the client may have a code at this redirect URI. */
  const showConsent = (
    reply: FastifyReply,
    requestId: string,
    p: PendingRequest,
    signedIn: NonNullable<PendingRequest['signedIn']>,
  ) => {
    sweep();
    p.signedIn = signedIn;
    p.csrf = randomToken();
    pending.set(requestId, p);
    setCookie(reply, CSRF_COOKIE, p.csrf, PENDING_TTL_MS / 1000);
    return html(
      reply,
      200,
      consentPage({
        requestId,
        csrf: p.csrf,
        clientName: p.client.name,
        // A registration's id is its signed metadata: long, and says nothing the name does not.
        clientId: p.client.id.startsWith('dcr.') ? 'registered dynamically' : p.client.id,
        destination: new URL(p.redirectUri).origin,
        person: `${signedIn.user.name} (${signedIn.user.username})`,
        scopes: p.scope,
      }),
    );
  };

  app.get('/authorize', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    let clientId: string | undefined;
    let redirectUri: string | undefined;
    let state: string | undefined;
    try {
      // A repeated one of these cannot be answered at the client: which redirect, which state?
      clientId = one(q, 'client_id');
      redirectUri = one(q, 'redirect_uri');
      state = one(q, 'state');
    } catch (err) {
      return html(reply, 400, messagePage('Sign-in request refused', (err as Error).message));
    }
    const client = clientId ? await idp.clients.get(clientId) : undefined;
    if (!client || !client.grants.includes(GRANT.code)) {
      return html(
        reply,
        400,
        messagePage(
          'Sign-in request refused',
          clientId ? `Unknown client ${clientId}.` : 'client_id is missing.',
        ),
      );
    }
    if (!redirectUri || !client.redirectUriOk(redirectUri)) {
      return html(
        reply,
        400,
        messagePage(
          'Sign-in request refused',
          `redirect_uri ${redirectUri ?? '(missing)'} is not registered for ${client.id}.`,
        ),
      );
    }
    try {
      for (const [k, v] of Object.entries(q)) {
        if (typeof v === 'string' && v.length > MAX_PARAM)
          throw new OAuthError('invalid_request', `${k} is too long`);
      }
      if (one(q, 'response_type') !== 'code') {
        throw new OAuthError('unsupported_response_type', 'response_type must be code');
      }
      const challenge = one(q, 'code_challenge');
      const method = one(q, 'code_challenge_method');
      if (!challenge) throw new OAuthError('invalid_request', 'PKCE is required: code_challenge is missing');
      if (method !== 'S256') {
        throw new OAuthError(
          'invalid_request',
          `code_challenge_method must be S256 (got ${method ?? 'none, which means plain'})`,
        );
      }
      if (!PKCE.test(challenge))
        throw new OAuthError('invalid_request', 'code_challenge must be 43-128 characters of base64url');
      const resource = targetResource(idp, q, idp.cfg.API_URL);
      const offered = [...OIDC_SCOPES, ...idp.resources.get(resource)!];
      const asked = splitScope(
        one(q, 'scope') ?? `openid profile email ${offered.slice(OIDC_SCOPES.length).join(' ')}`,
      );
      const scope = asked.filter((s) => offered.includes(s));
      if (scope.length === 0) {
        throw new OAuthError(
          'invalid_scope',
          `none of the requested scopes is offered for ${resource} (offered: ${offered.join(' ')})`,
        );
      }
      const prompt = splitScope(one(q, 'prompt'));
      const p: PendingRequest = {
        client,
        redirectUri,
        state,
        nonce: one(q, 'nonce'),
        scope,
        resource,
        codeChallenge: challenge,
        csrf: randomToken(),
        expiresAt: Date.now() + PENDING_TTL_MS,
        needsConsent: !client.trustedRedirect(redirectUri),
      };
      const session = prompt.includes('login')
        ? undefined
        : await idp.store.session(cookies(req.headers.cookie)[SESSION_COOKIE]);
      if (session && p.needsConsent && prompt.includes('none'))
        throw new OAuthError('consent_required', `the person has not allowed ${new URL(redirectUri).origin}`);
      if (session && p.needsConsent)
        return showConsent(reply, randomToken(18), p, { user: session.user, session });
      if (session) return issueCode(reply, p, session.user, session);
      if (prompt.includes('none')) throw new OAuthError('login_required', 'the person is not signed in');
      sweep();
      const requestId = randomToken(18);
      pending.set(requestId, p);
      return showLogin(reply, requestId, p, 200, undefined, one(q, 'login_hint'));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      return redirectWith(
        reply,
        { redirectUri, state },
        { error: err.error, error_description: err.description },
      );
    }
  });

  app.post('/login', async (req: FastifyRequest, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const requestId = field('request_id') ?? '';
    const p = pending.get(requestId);
    if (!p || p.expiresAt < Date.now() || p.signedIn) {
      return html(
        reply,
        400,
        messagePage(
          'Sign-in expired',
          'This sign-in request has expired or is unknown. Start signing in again from the app.',
        ),
      );
    }
    const csrf = field('csrf');
    if (!csrf || csrf !== p.csrf || cookies(req.headers.cookie)[CSRF_COOKIE] !== p.csrf) {
      return showLogin(
        reply,
        requestId,
        p,
        403,
        'The form could not be verified (it expired or came from another page). Please try again.',
      );
    }
    const demoUser = field('demo_user');
    const username = (demoUser ?? field('username') ?? '').trim();
    const userKey = `u:${username.toLowerCase()}`;
    const pairKey = `${userKey}\na:${req.ip}`;
    const addrKey = LOOPBACK_IPS.has(req.ip) ? undefined : `a:${req.ip}`;
    const wait = Math.max(
      byUserAndAddress.retryAfterMs(pairKey),
      byUser.retryAfterMs(userKey),
      addrKey ? byAddress.retryAfterMs(addrKey) : 0,
    );
    if (wait > 0) {
      void reply.header('Retry-After', String(Math.ceil(wait / 1000)));
      return showLogin(
        reply,
        requestId,
        p,
        429,
        `Too many failed sign-in attempts. Try again in ${Math.ceil(wait / 1000)} seconds.`,
        username,
      );
    }
    let user: User | undefined;
    if (demoUser !== undefined) {
      if (!idp.cfg.IDP_DEMO)
        return showLogin(reply, requestId, p, 400, 'One-click demo sign-in is not enabled.');
      user = await idp.store.userByName(username);
    } else {
      const password = field('password') ?? '';
      if (!username || !password)
        return showLogin(reply, requestId, p, 400, 'Enter your username and password.', username);
      const candidate = await idp.store.userByName(username);
      if (await verifyPassword(password, candidate?.passwordHash)) user = candidate;
    }
    if (!user) {
      byUserAndAddress.fail(pairKey);
      byUser.fail(userKey);
      if (addrKey) byAddress.fail(addrKey);
      idp.log.info({ ip: req.ip }, 'sign-in failed');
      return showLogin(reply, requestId, p, 401, WRONG, username);
    }
    byUserAndAddress.succeed(pairKey);
    pending.delete(requestId);
    const session = await idp.store.createSession(user.id, SESSION_TTL_SECONDS);
    setCookie(reply, SESSION_COOKIE, session.id, SESSION_TTL_SECONDS);
    idp.log.info({ user: user.username, client: p.client.id }, 'signed in');
    const signedIn = { hash: Store.sessionHash(session.id), authTime: session.authTime };
    if (p.needsConsent) return showConsent(reply, randomToken(18), p, { user, session: signedIn });
    setCookie(reply, CSRF_COOKIE, '', 0);
    return issueCode(reply, p, user, signedIn);
  });

  /** The consent page's answer: Allow issues the code, Deny returns `access_denied` to the client. */
  app.post('/consent', async (req: FastifyRequest, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const requestId = field('request_id') ?? '';
    const p = pending.get(requestId);
    const signedIn = p?.signedIn;
    const csrf = field('csrf');
    const session = await idp.store.session(cookies(req.headers.cookie)[SESSION_COOKIE]);
    if (!p || !signedIn || p.expiresAt < Date.now()) {
      return html(
        reply,
        400,
        messagePage('Request expired', 'This request has expired or is unknown. Start signing in again.'),
      );
    }
    // The same browser that signed in, answering the page it was shown.
    if (
      !csrf ||
      csrf !== p.csrf ||
      cookies(req.headers.cookie)[CSRF_COOKIE] !== p.csrf ||
      session?.hash !== signedIn.session.hash
    ) {
      return html(
        reply,
        403,
        messagePage(
          'Request refused',
          'The form could not be verified (it expired or came from another page). Start signing in again.',
        ),
      );
    }
    const decision = field('decision');
    if (decision !== 'allow' && decision !== 'deny') {
      return html(reply, 400, messagePage('Request refused', 'decision must be allow or deny.'));
    }
    pending.delete(requestId);
    setCookie(reply, CSRF_COOKIE, '', 0);
    idp.log.info(
      {
        user: signedIn.user.username,
        client: p.client.id,
        redirect: new URL(p.redirectUri).origin,
        decision,
      },
      'consent',
    );
    if (decision === 'deny') {
      return redirectWith(reply, p, {
        error: 'access_denied',
        error_description: 'the person did not allow this sign-in',
      });
    }
    return issueCode(reply, p, signedIn.user, signedIn.session);
  });
}
