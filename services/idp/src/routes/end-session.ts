import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadJose } from '@msi/kit';
import { cookies, one, SESSION_COOKIE, setCookie, type Idp } from '../context.js';
import { messagePage, signOutPage } from '../login-page.js';
import { randomToken, Store } from '../store.js';

/** A sign-out waiting for the person to confirm it: bound to the browser session it would end. */
interface PendingSignOut {
  sessionHash: string;
  redirect?: string;
  state?: string;
  expiresAt: number;
}

const CONFIRM_TTL_MS = 10 * 60_000;

/**
 * `GET|POST /end-session` (RP-initiated logout): with an id_token_hint of this browser's session (the
 * renderer sends one) it ends that session, revoking the refresh tokens of that sign-in, and returns to a
 * registered post-logout redirect URI with `state`. Without one (any other site can link here) it asks
 * first: "Sign out of MSI Assistant?", answered by a POST carrying a one-time token of that page.
 */
export function endSessionRoutes(app: FastifyInstance, idp: Idp): void {
  const confirmations = new Map<string, PendingSignOut>();
  const page = (reply: FastifyReply, status: number, title: string, message: string, body?: string) =>
    reply
      .status(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .header(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      )
      .header('X-Frame-Options', 'DENY')
      .send(body ?? messagePage(title, message));

  const signOut = async (
    reply: FastifyReply,
    hashes: (string | undefined)[],
    redirect?: string,
    state?: string,
  ) => {
    for (const h of new Set(hashes)) if (h) await idp.store.endSession(h);
    setCookie(reply, SESSION_COOKIE, '', 0);
    if (!redirect) return page(reply, 200, 'Signed out', 'You are signed out. You can close this window.');
    const url = new URL(redirect);
    if (state !== undefined) url.searchParams.set('state', state);
    return reply.header('Cache-Control', 'no-store').redirect(url.toString(), 302);
  };

  /** The confirmation page's answer. */
  app.post('/end-session/confirm', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body.confirmation === 'string' ? body.confirmation : '';
    const c = confirmations.get(token);
    const cookie = cookies(req.headers.cookie)[SESSION_COOKIE];
    if (!c || c.expiresAt < Date.now() || !cookie || Store.sessionHash(cookie) !== c.sessionHash) {
      return page(
        reply,
        403,
        'Sign-out refused',
        'This sign-out request expired or came from another page. You are still signed in.',
      );
    }
    confirmations.delete(token);
    if (body.decision !== 'sign_out')
      return page(reply, 200, 'Still signed in', 'You are still signed in. You can close this window.');
    return signOut(reply, [c.sessionHash], c.redirect, c.state);
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = {
      ...(req.query as object),
      ...(req.body && typeof req.body === 'object' ? req.body : {}),
    } as Record<string, unknown>;
    let hint: { aud?: unknown; sid?: unknown; iss?: unknown } | undefined;
    let redirect: string | undefined;
    let clientId: string | undefined;
    let state: string | undefined;
    try {
      redirect = one(p, 'post_logout_redirect_uri');
      clientId = one(p, 'client_id');
      state = one(p, 'state');
      const idTokenHint = one(p, 'id_token_hint');
      if (idTokenHint) {
        try {
          const { compactVerify } = await loadJose();
          const { payload } = await compactVerify(idTokenHint, async (h) => {
            const key = idp.keys.publicKey(h.kid);
            if (!key) throw new Error('unknown key');
            return key;
          });
          hint = JSON.parse(new TextDecoder().decode(payload)) as typeof hint;
        } catch {
          return page(reply, 400, 'Sign-out refused', 'id_token_hint is not an ID token of this provider.');
        }
        if (hint!.iss !== idp.cfg.issuer)
          return page(reply, 400, 'Sign-out refused', 'id_token_hint was issued by another provider.');
      }
    } catch (err) {
      return page(reply, 400, 'Sign-out refused', (err as Error).message);
    }
    const hintClient = typeof hint?.aud === 'string' ? hint.aud : undefined;
    if (clientId && hintClient && clientId !== hintClient) {
      return page(reply, 400, 'Sign-out refused', 'client_id does not match the id_token_hint.');
    }
    const client = await idp.clients.get(clientId ?? hintClient ?? '');
    if (redirect && (!client || !client.postLogoutRedirectUriOk(redirect))) {
      return page(
        reply,
        400,
        'Sign-out refused',
        `post_logout_redirect_uri ${redirect} is not registered for this client.`,
      );
    }
    const cookie = cookies(req.headers.cookie)[SESSION_COOKIE];
    const current = await idp.store.session(cookie);
    const hintSid = typeof hint?.sid === 'string' ? hint.sid : undefined;
    // A hint of this very session (or no session here to end): the client asked, proceed.
    if (!current || (hintSid !== undefined && hintSid === current.hash))
      return signOut(reply, [hintSid, current?.hash], redirect, state);
    // Anyone can link here: ending this browser's session takes the person's own confirmation.
    const t = Date.now();
    for (const [k, c] of confirmations) if (c.expiresAt < t) confirmations.delete(k);
    const confirmation = randomToken();
    confirmations.set(confirmation, {
      sessionHash: current.hash,
      ...(redirect ? { redirect } : {}),
      ...(state !== undefined ? { state } : {}),
      expiresAt: t + CONFIRM_TTL_MS,
    });
    return page(
      reply,
      200,
      '',
      '',
      signOutPage({ confirmation, person: `${current.user.name} (${current.user.username})` }),
    );
  };
  app.get('/end-session', handler);
  app.post('/end-session', handler);
}
