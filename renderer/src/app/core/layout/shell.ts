import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  viewChild,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { Icon } from '../../ui/icon';
import { AuthService } from '../auth.service';
import { sessionHint } from '../session-hint';
import { SessionService } from '../session.service';
import { PLAIN_SERVICES, PLAIN_STATES, StatusService } from '../status.service';
import { ThemeService } from '../theme.service';

/** The frame around every page: navigation, warnings, who is signed in, theme, sign out. */
@Component({
  selector: 'msi-shell',
  imports: [Icon, RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <!-- Focus moves on this page: with <base href="/"> a plain "#main" link would load "/#main". -->
    <a class="skip-link" href="#main" (click)="skipToContent($event)">Skip to content</a>
    <header class="topbar">
      <a class="brand" routerLink="/" aria-label="MSI Assistant home"
        ><span class="logo" aria-hidden="true">M</span>
        <span class="brand-name">MSI Assistant</span></a
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
              ? plain[status.degraded()[0].name] + ': ' + plainStates[status.degraded()[0].state]
              : count + ' parts of the app need attention'
          }}
        </a>
      }
      @if (auth.signedIn() && session.offline()) {
        <a
          routerLink="/settings"
          fragment="model"
          class="badge basic"
          data-testid="basic-mode"
          title="No AI model is configured: the assistant picks tools from the words of your request and answers from templates. Set a model in Settings → Model."
          >Basic mode<span class="badge-detail"> · no AI model</span></a
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
    <main id="main" class="page" tabindex="-1" #main><router-outlet /></main>
  `,
  styleUrl: './shell.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Shell {
  protected readonly auth = inject(AuthService);
  protected readonly session = inject(SessionService);
  protected readonly status = inject(StatusService);
  protected readonly plain = PLAIN_SERVICES;
  protected readonly plainStates = PLAIN_STATES;
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

  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');

  protected skipToContent(event: Event): void {
    event.preventDefault();
    this.main().nativeElement.focus();
  }

  protected signOut(): void {
    sessionHint.clear();
    void this.auth.signOut();
  }
}
