import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { AuthError, AuthService } from '../../core/auth.service';
import { sessionHint } from '../../core/session-hint';
import CallbackPage from './callback.page';

@Component({ template: '' })
class Blank {}

describe('CallbackPage', () => {
  let auth: {
    completeSignIn: ReturnType<typeof vi.fn>;
    notice: ReturnType<typeof signal<string | null>>;
  };

  beforeEach(() => {
    sessionStorage.clear();
    auth = { completeSignIn: vi.fn(), notice: signal(null) };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'sign-in', component: Blank },
          { path: 'c/:id', component: Blank },
        ]),
        { provide: AuthService, useValue: auth },
      ],
    });
  });

  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve));
  };

  it('signed in: marks the tab and replaces this entry with the page asked for', async () => {
    auth.completeSignIn.mockResolvedValueOnce('/c/9');
    TestBed.createComponent(CallbackPage);
    await settle();
    expect(TestBed.inject(Router).url).toBe('/c/9');
    expect(sessionHint.present).toBe(true);
  });

  it('a silent resume whose session ended: the sign-in page says so, still on the way to that page', async () => {
    sessionHint.set();
    auth.completeSignIn.mockRejectedValueOnce(
      new AuthError('Your session has ended. Sign in again.', 'login_required', '/c/9'),
    );
    const fixture = TestBed.createComponent(CallbackPage);
    await settle();
    expect(TestBed.inject(Router).url).toBe('/sign-in?returnTo=%2Fc%2F9');
    expect(auth.notice()).toBe('Your session has ended. Sign in again.');
    expect(sessionHint.present).toBe(false);
    expect((fixture.nativeElement as HTMLElement).textContent).not.toContain('Sign-in failed');
  });

  it('any other failure is shown with "Sign in again"', async () => {
    auth.completeSignIn.mockRejectedValueOnce(
      new AuthError('The sign-in was refused.', 'access_denied'),
    );
    const fixture = TestBed.createComponent(CallbackPage);
    await settle();
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    expect(root.textContent).toContain('Sign-in failed');
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('The sign-in was refused.');
  });
});
