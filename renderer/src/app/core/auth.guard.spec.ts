import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import {
  ActivatedRouteSnapshot,
  RouterStateSnapshot,
  UrlTree,
  provideRouter,
} from '@angular/router';
import { AuthError, AuthService } from './auth.service';
import { resumeSessionGuard, signedInGuard } from './auth.guard';
import { sessionHint } from './session-hint';

describe('signedInGuard', () => {
  let auth: {
    signedIn: ReturnType<typeof signal<boolean>>;
    notice: ReturnType<typeof signal<string | null>>;
    signIn: ReturnType<typeof vi.fn>;
  };

  beforeEach(() => {
    sessionStorage.clear();
    auth = { signedIn: signal(false), notice: signal(null), signIn: vi.fn(async () => undefined) };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: AuthService, useValue: auth }],
    });
  });

  const run = (guard: typeof signedInGuard, url: string) =>
    TestBed.runInInjectionContext(() =>
      guard({} as ActivatedRouteSnapshot, { url } as RouterStateSnapshot),
    ) as Promise<boolean | UrlTree>;

  it('after a reload in a signed-in tab: resumes silently on the way to the same page', async () => {
    sessionHint.set();
    expect(await run(signedInGuard, '/c/42')).toBe(false);
    expect(auth.signIn).toHaveBeenCalledWith('/c/42', { silent: true });
  });

  it('without a session to resume: the sign-in page, remembering the page', async () => {
    const result = await run(signedInGuard, '/c/42');
    expect(auth.signIn).not.toHaveBeenCalled();
    expect(String(result)).toBe('/sign-in?returnTo=%2Fc%2F42');
  });

  it('when the identity provider cannot be reached: the sign-in page says so', async () => {
    sessionHint.set();
    auth.signIn.mockRejectedValueOnce(
      new AuthError('Could not reach the identity provider at http://127.0.0.1:9400.', 'network'),
    );
    const result = await run(signedInGuard, '/c/42');
    expect(String(result)).toBe('/sign-in?returnTo=%2Fc%2F42');
    expect(auth.notice()).toContain('Could not reach the identity provider');
    expect(sessionHint.present).toBe(false);
  });

  it('pages that work signed out resume too, and open signed out when that fails', async () => {
    sessionHint.set();
    expect(await run(resumeSessionGuard, '/settings')).toBe(false);
    expect(auth.signIn).toHaveBeenCalledWith('/settings', { silent: true });
    auth.signIn.mockRejectedValueOnce(new AuthError('unreachable', 'network'));
    sessionHint.set();
    expect(await run(resumeSessionGuard, '/status')).toBe(true);
  });
});
