import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadJose } from '@msi/kit';
import { cookies, one, SESSION_COOKIE, setCookie, type Idp } from '../context.js';
import { messagePage } from '../login-page.js';
import { Store } from '../store.js';

/**
 * `GET|POST /end-session` (RP-initiated logout): ends the IDP session named by the cookie and by the
 * id_token_hint's `sid`, revoking the refresh tokens of that sign-in, then returns to a registered
 * post-logout redirect URI (loopback for the desktop) with `state`.
 */
export function endSessionRoutes(app: FastifyInstance, idp: Idp): void {
  const page = (reply: FastifyReply, status: number, title: string, message: string) =>
    reply
      .status(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(messagePage(title, message));

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
    const client = idp.clients.get(clientId ?? hintClient ?? '');
    if (redirect && (!client || !client.postLogoutRedirectUriOk(redirect))) {
      return page(
        reply,
        400,
        'Sign-out refused',
        `post_logout_redirect_uri ${redirect} is not registered for this client.`,
      );
    }
    const cookie = cookies(req.headers.cookie)[SESSION_COOKIE];
    if (cookie) idp.store.endSession(Store.sessionHash(cookie));
    if (typeof hint?.sid === 'string') idp.store.endSession(hint.sid);
    setCookie(reply, SESSION_COOKIE, '', 0);
    if (!redirect) return page(reply, 200, 'Signed out', 'You are signed out. You can close this window.');
    const url = new URL(redirect);
    if (state !== undefined) url.searchParams.set('state', state);
    return reply.header('Cache-Control', 'no-store').redirect(url.toString(), 302);
  };
  app.get('/end-session', handler);
  app.post('/end-session', handler);
}
