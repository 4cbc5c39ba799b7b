import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { ConfigService, messageOf } from '../../core/config';
import { HOST } from '../../core/host.service';
import { CardPage } from '../../ui/card-page';

@Component({
  selector: 'msi-sign-in-page',
  imports: [CardPage, RouterLink],
  template: `
    <msi-card-page>
      <div class="logo" aria-hidden="true">M</div>
      <h1>MSI Assistant</h1>
      <p class="muted">
        Answers from the product documentation, support tickets and customer organizations — with
        your own permissions.
      </p>
      @if (switched(); as mode) {
        <p class="notice ok" role="status" data-testid="mode-switched">
          Switched to {{ mode === 'remote' ? 'Remote' : 'Local' }} mode. Sign in to continue.
        </p>
      } @else if (signedOut() && !auth.notice()) {
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
    </msi-card-page>
  `,
  styles: `
    .logo {
      width: 3rem;
      height: 3rem;
      font-size: 1.4rem;
      margin-bottom: 0.75rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class SignInPage {
  protected readonly auth = inject(AuthService);
  readonly returnTo = input<string>();
  /** Query parameter: Settings just changed the mode (and so signed the person out). */
  readonly switched = input<'local' | 'remote'>();
  /** Route data: the identity provider sent the person back here after signing out. */
  readonly signedOut = input(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly issuer = inject(ConfigService).config.issuer;
  protected readonly hasHost = inject(HOST).kind !== 'none';

  protected async signIn(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.signIn(this.returnTo() ?? '/');
    } catch (error) {
      this.error.set(messageOf(error));
      this.busy.set(false);
    }
  }
}
