import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { Home as HomeData, HomeTicket } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { SessionService } from '../../core/session.service';
import { Home, atRisk, slaText } from './home';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const ticket = (number: string, over: Partial<HomeTicket> = {}): HomeTicket => ({
  number,
  title: `Title of ${number}`,
  status: 'open',
  priority: 'high',
  organization: 'dallas-police',
  organizationName: 'Dallas Police Department',
  assignee: 'alex_agent',
  updatedAt: '2026-12-01T10:00:00Z',
  slaDueAt: '2026-12-01T13:00:00Z',
  slaBreached: false,
  ...over,
});

async function render(home: HomeData | Error, name = 'James Smith') {
  const api = {
    home: vi.fn(async () => {
      if (home instanceof Error) throw home;
      return home;
    }),
  };
  TestBed.configureTestingModule({
    providers: [
      { provide: ApiService, useValue: api },
      {
        provide: SessionService,
        useValue: { me: signal({ name }), role: computed(() => null) },
      },
    ],
  });
  const fixture = TestBed.createComponent(Home);
  await fixture.whenStable();
  await new Promise((r) => setTimeout(r));
  await fixture.whenStable();
  return { fixture, root: fixture.nativeElement as HTMLElement, api };
}

describe('Home', () => {
  it("a customer's home: their tickets, their organization's status, their suggestions", async () => {
    const { root, fixture } = await render({
      role: 'customer',
      myTickets: { total: 3, tickets: [ticket('TCK-1'), ticket('TCK-2')] },
      organizations: [
        {
          slug: 'dallas-police',
          name: 'Dallas Police Department',
          status: 'degraded',
          deployments: [{ product: 'body_camera', status: 'degraded', version: '4.2.1' }],
        },
      ],
      suggestions: ['Show my open tickets', 'What is the status of Dallas Police Department?'],
      unavailable: [],
    });
    expect(root.querySelector('h1')!.textContent).toContain('Hello, James');
    const sections = [...root.querySelectorAll('[data-section]')].map((s) =>
      s.getAttribute('data-section'),
    );
    expect(sections).toEqual(['mine', 'organization']);
    expect(root.querySelectorAll('[data-testid="home-ticket"]').length).toBe(2);
    expect(root.textContent).toContain('1 more not shown');
    const org = root.querySelector('[data-testid="home-organization"]')!;
    expect(org.textContent).toContain('Degraded');
    expect(org.textContent).toContain('Body camera');
    expect(root.textContent).not.toContain('Your queue');
    // A suggestion goes to the composer; a ticket row is asked at once.
    const suggested: string[] = [];
    const asked: string[] = [];
    fixture.componentInstance.suggest.subscribe((s) => suggested.push(s));
    fixture.componentInstance.ask.subscribe((s) => asked.push(s));
    [...root.querySelectorAll<HTMLButtonElement>('.suggestion')][1]!.click();
    root.querySelector<HTMLButtonElement>('[data-testid="home-ticket"]')!.click();
    expect(suggested).toEqual(['What is the status of Dallas Police Department?']);
    expect(asked).toEqual(['Show ticket TCK-1']);
  });

  it("a supervisor's home: unassigned urgent and today's breaches, with words for empty lists", async () => {
    const { root } = await render({
      role: 'supervisor',
      queue: { total: 0, tickets: [] },
      unassignedUrgent: {
        total: 1,
        tickets: [ticket('TCK-9', { priority: 'urgent', assignee: null })],
      },
      breachesToday: { total: 0, tickets: [] },
      suggestions: [],
      unavailable: [{ server: 'organizations', message: 'organizations did not answer in 10 s' }],
    });
    const titles = [...root.querySelectorAll('h2')].map((h) =>
      h.textContent!.replace(/\s+/g, ' ').trim(),
    );
    expect(titles).toEqual(['Unassigned urgent 1', 'SLA breached today 0', 'Your queue 0']);
    expect(root.textContent).toContain('No SLA has passed today.');
    expect(root.textContent).toContain('organizations did not answer in 10 s');
    expect(root.querySelector('.suggestions')).toBeNull();
  });

  it('says what failed and offers to try again', async () => {
    const { root, api } = await render(new Error('the API is down'));
    expect(root.querySelector('[role="alert"]')!.textContent).toContain('the API is down');
    root.querySelector<HTMLButtonElement>('[role="alert"] button')!.click();
    expect(api.home).toHaveBeenCalledTimes(2);
  });

  it('SLA words and risk', () => {
    expect(slaText(ticket('A', { slaDueAt: '2026-12-01T12:40:00Z' }), NOW)).toBe(
      'SLA due in 40 min',
    );
    expect(slaText(ticket('A', { slaDueAt: '2026-12-01T09:00:00Z' }), NOW)).toBe(
      'SLA passed 3 h ago',
    );
    expect(slaText(ticket('A', { slaDueAt: '2026-11-28T12:00:00Z' }), NOW)).toBe(
      'SLA passed 3 days ago',
    );
    expect(slaText(ticket('A', { status: 'resolved' }), NOW)).toBe('');
    expect(atRisk(ticket('A', { slaDueAt: '2026-12-01T13:30:00Z' }), NOW)).toBe(true);
    expect(atRisk(ticket('A', { slaDueAt: '2026-12-01T18:00:00Z' }), NOW)).toBe(false);
  });
});
