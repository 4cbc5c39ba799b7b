import { Component, computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { CopilotDraft, CopilotSimilar, CopilotSummary } from '@msi/contracts/api';
import { CAN_NOTHING, type Can } from '@msi/contracts/roles';
import { ApiRequestError, ApiService } from '../../core/api.service';
import { SessionService } from '../../core/session.service';
import { CopilotActions } from './copilot-actions';

const base = { ticket: 'TCK-1042', provider: 'offline' as const, extractive: true, ms: 12 };
const summary: CopilotSummary = {
  ...base,
  action: 'summarize',
  note: 'Basic mode · no AI model: sentences taken from the ticket and the documentation, not written for it.',
  summary: {
    problem: 'DS-8 dock not charging.',
    tried: 'riley_agent: Re-seated the cameras.',
    status: 'Open · high priority · unassigned',
    nextStep: 'Assign the ticket to someone.',
  },
};
const draft: CopilotDraft = {
  ...base,
  action: 'draft_reply',
  draft: 'Hello,\n\n- Re-seat the camera [1]\n\nSources:\n[1] Docking — Charging',
  citations: [
    {
      documentId: 'd',
      chunkId: 'c1',
      title: 'Docking',
      section: 'Docking › Charging',
      snippet: 'Re-seat…',
      score: 1,
    },
  ],
};
const similar: CopilotSimilar = {
  ...base,
  extractive: false,
  action: 'similar',
  tickets: [
    {
      number: 'TCK-1001',
      title: 'Dock bay dead',
      organization: 'dallas-police',
      organizationName: 'Dallas Police Department',
      status: 'resolved',
      product: 'docking_station',
      resolution: 'Replaced the power supply.',
      resolvedAt: '2026-11-01T00:00:00Z',
      score: 0.03,
      matchedBy: ['lexical', 'semantic'],
    },
  ],
};

@Component({
  imports: [CopilotActions],
  template: `<msi-copilot-actions
    [ticket]="ticket()"
    (draft)="drafts.push($event)"
    (openTicket)="opened.push($event)"
  />`,
})
class Host {
  readonly ticket = signal<string | null>('TCK-1042');
  readonly drafts: { body: string; internal: boolean }[] = [];
  readonly opened: string[] = [];
}

describe('CopilotActions', () => {
  let api: { copilot: ReturnType<typeof vi.fn> };
  let can: ReturnType<typeof signal<Can>>;

  beforeEach(() => {
    api = { copilot: vi.fn() };
    can = signal<Can>({ ...CAN_NOTHING, workTickets: true });
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiService, useValue: api },
        {
          provide: SessionService,
          useValue: { can: computed(() => can()), offline: computed(() => true) },
        },
      ],
    });
  });

  async function setup() {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    const click = async (action: string) => {
      root.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)!.click();
      await fixture.whenStable();
    };
    return { fixture, root, click, host: fixture.componentInstance };
  }

  it('summarizes the ticket it was given: problem, what was tried, status, next step, and the Basic-mode note', async () => {
    api.copilot.mockResolvedValue(summary);
    const { root, click } = await setup();
    expect(root.querySelector('.badge')?.textContent).toContain('Basic mode');
    await click('summarize');
    expect(api.copilot).toHaveBeenCalledWith('TCK-1042', 'summarize', expect.any(AbortSignal));
    const dl = root.querySelector('[data-testid="copilot-summary"]')!;
    expect([...dl.querySelectorAll('dt')].map((d) => d.textContent?.trim())).toEqual([
      'Problem',
      'What was tried',
      'Status',
      'Next step',
    ]);
    expect(dl.textContent).toContain('Assign the ticket to someone.');
    expect(root.querySelector('[data-testid="copilot-note"]')?.textContent).toContain(
      'no AI model',
    );
    expect(
      root.querySelector('button[data-action="summarize"]')?.getAttribute('aria-pressed'),
    ).toBe('true');
  });

  it('hands a draft reply to the comment box (public), lists its sources, and can insert it again', async () => {
    api.copilot.mockResolvedValue(draft);
    const { root, click, host, fixture } = await setup();
    await click('draft_reply');
    expect(host.drafts).toEqual([{ body: draft.draft, internal: false }]);
    const box = root.querySelector('[data-testid="copilot-draft"]')!;
    expect(box.textContent).toContain('inserted in the comment box');
    expect(box.querySelector('.sources li')?.textContent?.trim()).toBe('Docking › Charging');
    box.querySelector<HTMLButtonElement>('button')!.click();
    await fixture.whenStable();
    expect(host.drafts).toHaveLength(2);
  });

  it('lists similar resolved tickets with their resolution; a number opens that ticket', async () => {
    api.copilot.mockResolvedValue(similar);
    const { root, click, host } = await setup();
    await click('similar');
    const item = root.querySelector('[data-testid="copilot-similar"] li')!;
    expect(item.textContent).toContain('Replaced the power supply.');
    expect(item.textContent).toContain('lexical + semantic');
    item.querySelector<HTMLButtonElement>('button')!.click();
    expect(host.opened).toEqual(['TCK-1001']);
  });

  it('says what failed, and forgets the last result when the ticket changes', async () => {
    api.copilot.mockRejectedValueOnce(
      new ApiRequestError('ticket TCK-1042 not found', 'not_found', 404),
    );
    const { root, click, host, fixture } = await setup();
    await click('summarize');
    expect(root.querySelector('[role="alert"]')?.textContent).toContain(
      'Summarize failed: ticket TCK-1042 not found',
    );
    api.copilot.mockResolvedValue(summary);
    await click('summarize');
    expect(root.querySelector('[data-testid="copilot-summary"]')).not.toBeNull();
    host.ticket.set('TCK-2000');
    fixture.detectChanges();
    await fixture.whenStable();
    expect(root.querySelector('[data-testid="copilot-summary"]')).toBeNull();
    expect(root.querySelector('[data-testid="copilot-actions"]')?.getAttribute('data-ticket')).toBe(
      'TCK-2000',
    );
  });

  it('shows nothing to someone who does not work tickets (a customer)', async () => {
    can.set(CAN_NOTHING);
    const { root } = await setup();
    expect(root.querySelector('[data-testid="copilot-actions"]')).toBeNull();
  });
});
