import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { ConfigService, messageOf } from '../../core/config';
import { HOST } from '../../core/host.service';

/** Set while this tab has a session, so a reload signs in again without asking (the IDP remembers the person). */
export const SESSION_HINT = 'msi.session-hint';

@Component({
  selector: 'msi-sign-in-page',
  imports: [RouterLink],
  template: `
    <main class="sign-in" id="main">
      <div class="sign-in-card">
        <div class="logo" aria-hidden="true">M</div>
        <h1>MSI Assistant</h1>
        <p class="muted">
          Answers from the product documentation, support tickets and customer organizations — with
          your own permissions.
        </p>
        @if (signedOut() && !auth.notice()) {
          <p class="notice ok" role="status">You have signed out.</p>
        }
        @if (auth.notice(); as notice) {
          <p class="notice" role="status">{{ notice }}</p>
        }
        @if (error(); as error) {
          <p class="error-text" role="alert">{{ error }}</p>
        }
        <button type="button" class="primary large" (click)="signIn()" [disabled]="busy()">
          {{ busy() ? 'Opening the sign-in page…' : 'Sign in' }}
        </button>
        <p class="muted small">
          You sign in at {{ issuer }}.
          @if (hasHost) {
            <br /><a routerLink="/settings">Settings</a> ·
            <a routerLink="/status">Service status</a>
          }
        </p>
      </div>
    </main>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class SignInPage {
  protected readonly auth = inject(AuthService);
  readonly returnTo = input<string>();
  /** Route data: the identity provider sent the person back here after signing out. */
  readonly signedOut = input(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly issuer = inject(ConfigService).config.issuer;
  protected readonly hasHost = inject(HOST).kind !== 'none';

  constructor() {
    // A reload in a tab that was signed in: go straight back (the identity provider still knows the person).
    if (sessionStorage.getItem(SESSION_HINT) && !this.auth.notice()) void this.signIn();
  }

  protected async signIn(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.signIn(this.returnTo() ?? '/');
    } catch (error) {
      sessionStorage.removeItem(SESSION_HINT);
      this.error.set(messageOf(error));
      this.busy.set(false);
    }
  }
}
