import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ServiceStatus } from '@msi/contracts/host';
import { CAN_NOTHING, canOf } from '@msi/contracts/roles';
import { SessionService } from '../../core/session.service';
import { StatusService } from '../../core/status.service';
import StatusPage, { statusSentence } from './status.page';

const svc = (name: ServiceStatus['name'], state: ServiceStatus['state']): ServiceStatus =>
  ({
    name,
    state,
    port: 9000,
    pid: 4242,
    restarts: 0,
    url: `http://127.0.0.1:9000`,
  }) as ServiceStatus;

async function render(roles: string[]) {
  const services = signal([
    svc('idp', 'ready'),
    svc('ticketing', 'ready'),
    svc('chroma', 'not_responding'),
  ]);
  TestBed.configureTestingModule({
    providers: [
      {
        provide: StatusService,
        useValue: {
          services,
          error: signal(null),
          loaded: signal(true),
          receivedAt: signal(Date.now()),
          watch: vi.fn(),
          host: { kind: 'electron', restartService: vi.fn(), getLogs: vi.fn(async () => []) },
        },
      },
      {
        provide: SessionService,
        useValue: { can: signal(roles.length ? canOf(roles) : CAN_NOTHING) },
      },
    ],
  });
  const fixture = TestBed.createComponent(StatusPage);
  await fixture.whenStable();
  return fixture.nativeElement as HTMLElement;
}

describe('StatusPage', () => {
  it('a customer reads status in plain words: no ports, pids, logs or Restart', async () => {
    const root = await render(['customer']);
    expect(root.querySelector('[data-testid="status-sentence"]')!.textContent).toContain(
      'Some things do not work right now: documentation search.',
    );
    const plain = [...root.querySelectorAll('[data-testid="plain-service"]')].map((li) =>
      [...li.querySelectorAll('span')]
        .map((s) => s.textContent!.trim())
        .filter(Boolean)
        .join(' '),
    );
    expect(plain).toEqual([
      'Signing in Working',
      'Tickets Working',
      'Documentation search Not answering right now',
    ]);
    expect(root.textContent).not.toMatch(/Diagnostics|Port|PID|Restart|9000|4242/);
    expect(root.querySelector('[data-testid="service"]')).toBeNull();
  });

  it('an agent sees the same plain status, without the console', async () => {
    const root = await render(['agent']);
    expect(root.querySelectorAll('[data-testid="plain-service"]')).toHaveLength(3);
    expect(root.querySelector('button')).toBeNull();
  });

  it('an admin gets the console under Diagnostics', async () => {
    const root = await render(['admin']);
    expect([...root.querySelectorAll('h2')].map((h) => h.textContent)).toContain('Diagnostics');
    expect(root.querySelectorAll('[data-testid="service"]')).toHaveLength(3);
    expect(root.querySelector('button[aria-label="Restart ticketing"]')).not.toBeNull();
    expect(root.textContent).toContain('4242');
  });

  it('the sentence: all well, starting, or what does not work', () => {
    expect(statusSentence([svc('idp', 'ready')])).toBe('Everything is working.');
    expect(statusSentence([svc('idp', 'starting'), svc('api', 'restarting')])).toBe(
      'Starting up: signing in and the assistant will be ready in a moment.',
    );
    expect(statusSentence([])).toContain('remote');
  });
});
