import { TestBed } from '@angular/core/testing';
import type { Me, ToolInfo } from '@msi/contracts/api';
import { canOf } from '@msi/contracts/roles';
import { ApiRequestError, ApiService } from '../../core/api.service';
import { SessionService } from '../../core/session.service';
import { ChatStore } from '../chat/chat.store';
import { EntityPanelService, type TicketDetail } from './entity-panel.service';
import { TicketPanel } from './ticket-panel';

const detail = (over: Partial<TicketDetail['ticket']> = {}): TicketDetail => ({
  ticket: {
    number: 'TCK-1042',
    organization: 'dallas-police',
    organizationName: 'Dallas Police Department',
    title: 'DS-8 dock not charging',
    status: 'open',
    priority: 'high',
    category: 'hardware',
    product: 'docking_station',
    reporter: 'james_smith',
    assignee: null,
    createdAt: '2026-01-01T10:00:00Z',
    updatedAt: '2026-01-01T10:00:00Z',
    slaDueAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
    slaBreached: false,
    description: 'Bay 3 does not charge.',
    resolution: null,
    resolvedAt: null,
    ...over,
  },
  comments: [
    {
      id: 1,
      author: 'james_smith',
      body: 'Still broken',
      internal: false,
      createdAt: '2026-01-01T11:00:00Z',
    },
    {
      id: 2,
      author: 'alex_agent',
      body: 'Check the PSU',
      internal: true,
      createdAt: '2026-01-01T12:00:00Z',
    },
  ],
  history: [
    {
      at: '2026-01-01T10:00:00Z',
      actor: 'james_smith',
      action: 'create',
      before: null,
      after: null,
    },
  ],
});

const TOOLS = [
  'search_tickets',
  'get_ticket',
  'update_ticket',
  'add_comment',
  'resolve_ticket',
].map((name) => ({ name, server: 'ticketing' }) as ToolInfo);

class FakeApi {
  current = detail();
  runTool = vi.fn(async (_server: string, name: string, args: Record<string, unknown>) => {
    if (name === 'get_ticket') return { call: { result: this.current } };
    if (name === 'update_ticket' && 'assignee' in args) {
      this.current = detail({ assignee: args['assignee'] as string });
      return {
        call: { callId: 'x', server: 'ticketing', tool: name, args, ok: true },
        message: {
          id: 'm-run',
          role: 'assistant',
          content: 'You ran',
          toolCalls: [],
          citations: [],
        },
      };
    }
    throw new ApiRequestError(
      'assignee: only supervisors and admins assign tickets',
      'tool_error',
      422,
    );
  });
  tools = vi.fn(async () => TOOLS);
  conversation = vi.fn(async () => ({ messages: [] }));
}

async function setup(username: string, roles: string[]) {
  const api = new FakeApi();
  TestBed.configureTestingModule({ providers: [{ provide: ApiService, useValue: api }] });
  TestBed.inject(SessionService).me.set({
    username,
    name: username,
    roles,
    organizations: ['dallas-police'],
    can: canOf(roles),
  } as unknown as Me);
  TestBed.inject(ChatStore).conversationId.set('conv-1');
  const service = TestBed.inject(EntityPanelService);
  const fixture = TestBed.createComponent(TicketPanel);
  await service.openTicket('TCK-1042');
  await fixture.whenStable();
  const root = fixture.nativeElement as HTMLElement;
  const button = (name: string) =>
    [...root.querySelectorAll<HTMLButtonElement>('button')].find(
      (b) => b.textContent?.trim() === name,
    );
  return { api, service, fixture, root, button };
}

describe('TicketPanel', () => {
  it('shows the fields, the SLA countdown, comments with internal ones marked, and the history', async () => {
    const { root } = await setup('sam_supervisor', ['supervisor']);
    expect(root.querySelector('h2')!.textContent).toContain('DS-8 dock not charging');
    expect(root.querySelector('[data-testid="sla"]')!.textContent).toMatch(
      /SLA due in (2 h 59 min|3 h)/,
    );
    expect([...root.querySelectorAll('.pill')].map((p) => p.textContent)).toEqual(['Open', 'High']);
    const comments = [...root.querySelectorAll('[data-testid="comment"]')];
    expect(comments).toHaveLength(2);
    expect(comments[1]!.classList).toContain('internal');
    expect(comments[1]!.textContent).toContain('Internal');
    expect(comments[0]!.textContent).not.toContain('Internal');
    expect(root.querySelector('.history')!.textContent).toContain('james_smith');
    expect(root.querySelector('[data-slot="copilot-actions"]')).not.toBeNull();
  });

  it('a supervisor assigns: the tool runs with the conversation, the change shows and is recorded', async () => {
    const { api, root, button, fixture } = await setup('sam_supervisor', ['supervisor']);
    const input = root.querySelector<HTMLInputElement>('#assignee-input')!;
    input.value = 'alex_agent';
    button('Assign')!.click();
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
    expect(api.runTool).toHaveBeenCalledWith(
      'ticketing',
      'update_ticket',
      { number: 'TCK-1042', assignee: 'alex_agent' },
      'conv-1',
    );
    expect(root.querySelector('[data-testid="assignee"]')!.textContent).toBe('alex_agent');
    expect(root.querySelector('[data-testid="panel-notice"]')!.textContent).toContain(
      'Assigned to alex_agent',
    );
    expect(
      TestBed.inject(ChatStore)
        .messages()
        .map((m) => m.id),
    ).toEqual(['m-run']);
  });

  it('an agent works the ticket but is not offered Assign; a refusal is shown in words', async () => {
    const { root, button, fixture } = await setup('alex_agent', ['agent']);
    expect(root.querySelector('#assignee-input')).toBeNull();
    expect(root.querySelector('#status-select')).not.toBeNull();
    expect(root.querySelector('#priority-select')).not.toBeNull();
    expect(root.textContent).toContain('Internal (staff only)');
    expect(root.textContent).toContain('Resolve…');
    const select = root.querySelector<HTMLSelectElement>('#priority-select')!;
    select.value = 'urgent';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
    expect(root.querySelector('[data-testid="panel-error"]')!.textContent).toContain(
      'only supervisors',
    );
    expect(select.value).toBe('high');
    expect(button('Assign to me')).toBeUndefined();
  });

  it('a customer may only reply: no assign, status, priority, internal notes or resolve', async () => {
    const { root } = await setup('james_smith', ['customer']);
    expect(root.querySelector('#assignee-input')).toBeNull();
    expect(root.querySelector('#status-select')).toBeNull();
    expect(root.querySelector('#priority-select')).toBeNull();
    expect(root.textContent).not.toContain('Internal (staff only)');
    expect(root.textContent).not.toContain('Resolve…');
    expect(root.querySelector('[data-testid="comment-box"]')).not.toBeNull();
  });

  it('says so when the ticket cannot be opened', async () => {
    const api = new FakeApi();
    api.runTool.mockRejectedValueOnce(
      new ApiRequestError('ticket TCK-9 not found', 'not_found', 404),
    );
    TestBed.configureTestingModule({ providers: [{ provide: ApiService, useValue: api }] });
    const fixture = TestBed.createComponent(TicketPanel);
    await TestBed.inject(EntityPanelService).openTicket('TCK-9');
    await fixture.whenStable();
    expect(
      (fixture.nativeElement as HTMLElement).querySelector('[role="alert"]')!.textContent,
    ).toContain('ticket TCK-9 not found');
  });
});
