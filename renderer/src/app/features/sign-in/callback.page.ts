import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { messageOf } from '../../core/config';
import { SESSION_HINT } from './sign-in.page';

/** /auth/callback: exchanges the authorization code, then replaces this entry with the page asked for. */
@Component({
  selector: 'msi-callback-page',
  template: `
    <main class="sign-in" id="main">
      <div class="sign-in-card">
        @if (error(); as error) {
          <h1>Sign-in failed</h1>
          <p class="error-text" role="alert">{{ error }}</p>
          <button type="button" class="primary" (click)="again()">Sign in again</button>
        } @else {
          <p role="status"><span class="spinner" aria-hidden="true"></span> Signing you in…</p>
        }
      </div>
    </main>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class CallbackPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  protected readonly error = signal<string | null>(null);

  constructor() {
    this.auth.completeSignIn(window.location.href).then(
      (returnTo) => {
        sessionStorage.setItem(SESSION_HINT, '1');
        return this.router.navigateByUrl(returnTo, { replaceUrl: true });
      },
      (error) => {
        sessionStorage.removeItem(SESSION_HINT);
        this.error.set(messageOf(error));
      },
    );
  }

  protected again(): void {
    void this.router.navigateByUrl('/sign-in', { replaceUrl: true });
  }
}
