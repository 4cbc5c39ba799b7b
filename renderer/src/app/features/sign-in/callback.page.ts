import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { AuthError, AuthService } from '../../core/auth.service';
import { messageOf } from '../../core/config';
import { sessionHint } from '../../core/session-hint';
import { CardPage } from '../../ui/card-page';

/** /auth/callback: exchanges the authorization code, then replaces this entry with the page asked for. */
@Component({
  selector: 'msi-callback-page',
  imports: [CardPage],
  template: `
    <msi-card-page>
      @if (error(); as error) {
        <h1>Sign-in failed</h1>
        <p class="error-text" role="alert">{{ error }}</p>
        <button type="button" class="primary" (click)="again()">Sign in again</button>
      } @else {
        <p role="status"><span class="spinner" aria-hidden="true"></span> Signing you in…</p>
      }
    </msi-card-page>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class CallbackPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  protected readonly error = signal<string | null>(null);
  private returnTo: string | undefined;

  constructor() {
    this.auth.completeSignIn(window.location.href).then(
      (returnTo) => {
        sessionHint.set();
        return this.router.navigateByUrl(returnTo, { replaceUrl: true });
      },
      (error) => {
        sessionHint.clear();
        this.returnTo = error instanceof AuthError ? error.returnTo : undefined;
        if (error instanceof AuthError && error.code === 'login_required') {
          // A silent resume found the session over: the sign-in page, still on the way to that page.
          this.auth.notice.set(error.message);
          return this.again();
        }
        this.error.set(messageOf(error));
        return undefined;
      },
    );
  }

  protected again(): Promise<boolean> {
    const returnTo = this.returnTo && this.returnTo !== '/' ? this.returnTo : undefined;
    return this.router.navigate(['/sign-in'], {
      replaceUrl: true,
      queryParams: returnTo ? { returnTo } : {},
    });
  }
}
