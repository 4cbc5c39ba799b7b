import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { AuthService } from './auth.service';
import { messageOf } from './config';
import { sessionHint } from './session-hint';

/**
 * After a reload, or a link pasted into a tab that was signed in: signs in again without a page
 * (the identity provider still knows the person) and comes back to `url`. Resolves false while the
 * window leaves for the identity provider; rejects when it cannot be reached.
 */
async function resume(auth: AuthService, url: string): Promise<false> {
  await auth.signIn(url, { silent: true });
  return false;
}

const canResume = (auth: AuthService) => !auth.signedIn() && sessionHint.present && !auth.notice();

/** Pages that need a signed-in person: resume the session, else the sign-in page (remembering the page). */
export const signedInGuard: CanActivateFn = async (_route, state) => {
  const auth = inject(AuthService);
  const router = inject(Router);
  if (auth.signedIn()) return true;
  if (canResume(auth)) {
    try {
      return await resume(auth, state.url);
    } catch (error) {
      sessionHint.clear();
      auth.notice.set(messageOf(error));
    }
  }
  return router.createUrlTree(['/sign-in'], {
    queryParams: state.url !== '/' ? { returnTo: state.url } : {},
  });
};

/** Pages that also work signed out (Settings, Status): resume the session when there is one to resume. */
export const resumeSessionGuard: CanActivateFn = async (_route, state) => {
  const auth = inject(AuthService);
  if (!canResume(auth)) return true;
  try {
    return await resume(auth, state.url);
  } catch {
    // The identity provider is not reachable: show the page signed out (it may be where to fix that).
    sessionHint.clear();
    return true;
  }
};
