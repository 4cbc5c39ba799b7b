import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../auth.service';
import { ConfigService } from '../config';
import { LOCAL_CONFIG } from '../../../testing/config';
import { SessionService } from '../session.service';
import { Shell } from './shell';

describe('Shell', () => {
  const offline = signal(true);
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        {
          provide: AuthService,
          useValue: { signedIn: signal(true), claims: signal({}), signOut: vi.fn() },
        },
        {
          provide: SessionService,
          useValue: {
            offline,
            displayName: computed(() => 'Alex Agent'),
            role: computed(() => 'agent'),
            load: vi.fn(async () => undefined),
            clear: vi.fn(),
          },
        },
      ],
    });
    TestBed.inject(ConfigService).set(LOCAL_CONFIG);
  });

  it('"Skip to content" moves focus to the page, without a navigation', async () => {
    const fixture = TestBed.createComponent(Shell);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    document.body.appendChild(root);
    const link = root.querySelector<HTMLAnchorElement>('a.skip-link')!;
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    link.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(root.querySelector('main#main'));
    root.remove();
  });

  it('says "Basic mode · no AI model" once, as a link to Settings → Model', async () => {
    const fixture = TestBed.createComponent(Shell);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    const badge = root.querySelector<HTMLAnchorElement>('[data-testid="basic-mode"]')!;
    expect(badge.textContent?.trim()).toBe('Basic mode · no AI model');
    expect(badge.getAttribute('href')).toBe('/settings#model');
    expect(root.textContent).not.toContain('Offline mode');
    offline.set(false);
    await fixture.whenStable();
    expect(root.querySelector('[data-testid="basic-mode"]')).toBeNull();
  });
});
