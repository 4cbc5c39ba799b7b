import { ChangeDetectionStrategy, Component, computed, effect, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { SessionService } from '../../core/session.service';
import { SERVICE_LABELS, STATE_LABELS, StatusService } from '../../core/status.service';
import { ThemeService } from '../../core/theme.service';
import { Icon } from '../../ui/icon';
import { SESSION_HINT } from '../sign-in/sign-in.page';

/** The frame around every page: navigation, warnings, who is signed in, theme, sign out. */
@Component({
  selector: 'msi-shell',
  imports: [Icon, RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <a class="brand" routerLink="/" aria-label="MSI Assistant home"
        ><span class="logo" aria-hidden="true">M</span> MSI Assistant</a
      >
      <nav aria-label="Main" class="main-nav">
        <a
          routerLink="/"
          [class.active]="chatActive()"
          [attr.aria-current]="chatActive() ? 'page' : null"
          >Chat</a
        >
        <a routerLink="/knowledge" routerLinkActive="active" ariaCurrentWhenActive="page"
          >Knowledge</a
        >
        <a routerLink="/status" routerLinkActive="active" ariaCurrentWhenActive="page">Status</a>
        <a routerLink="/settings" routerLinkActive="active" ariaCurrentWhenActive="page"
          >Settings</a
        >
      </nav>
      <span class="spacer"></span>
      @if (status.degraded().length; as count) {
        <a routerLink="/status" class="badge warn" data-testid="degraded-warning" role="status">
          <msi-icon name="warn" />
          {{
            count === 1
              ? labels[status.degraded()[0].name] + ' is ' + states[status.degraded()[0].state]
              : count + ' services need attention'
          }}
        </a>
      }
      @if (auth.signedIn() && session.offline()) {
        <span
          class="badge offline"
          data-testid="offline-badge"
          title="No language model is configured: answers come from templates and tools"
          >Offline mode</span
        >
      }
      <button
        type="button"
        class="icon-button"
        (click)="theme.toggle()"
        [attr.aria-label]="
          theme.resolved() === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'
        "
      >
        <msi-icon [name]="theme.resolved() === 'dark' ? 'sun' : 'moon'" />
      </button>
      @if (auth.signedIn()) {
        <div class="who-am-i" data-testid="current-user">
          <span class="user-name">{{ session.displayName() }}</span>
          @if (session.role(); as role) {
            <span class="role">{{ role }}</span>
          }
        </div>
        <button type="button" class="ghost" (click)="signOut()">Sign out</button>
      } @else {
        <a routerLink="/sign-in" class="button ghost">Sign in</a>
      }
    </header>
    <main id="main" class="page" tabindex="-1"><router-outlet /></main>
  `,
  host: { class: 'shell' },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Shell {
  protected readonly auth = inject(AuthService);
  protected readonly session = inject(SessionService);
  protected readonly status = inject(StatusService);
  protected readonly labels = SERVICE_LABELS;
  protected readonly states = STATE_LABELS;
  protected readonly theme = inject(ThemeService);
  private readonly url = toSignal(
    inject(Router).events.pipe(
      filter((event) => event instanceof NavigationEnd),
      map((event) => event.urlAfterRedirects),
    ),
    { initialValue: inject(Router).url },
  );
  protected readonly chatActive = computed(() => {
    const path = this.url().split(/[?#]/)[0];
    return path === '/' || path.startsWith('/c/');
  });

  constructor() {
    this.status.watch();
    effect(() => {
      if (this.auth.signedIn()) void this.session.load();
      else this.session.clear();
    });
  }

  protected signOut(): void {
    sessionStorage.removeItem(SESSION_HINT);
    void this.auth.signOut();
  }
}
