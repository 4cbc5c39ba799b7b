import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ApprovalPolicy, ToolInfo } from '@msi/contracts/api';
import { CAN_NOTHING, type Can } from '@msi/contracts/roles';
import { ApiService } from '../../core/api.service';
import { SessionService } from '../../core/session.service';
import { ApprovalPolicySettings } from './approval-policy-settings';

const tool = (name: string, title: string, requiresApproval = true): ToolInfo => ({
  server: 'ticketing',
  name,
  title,
  description: '',
  readOnly: !requiresApproval,
  destructive: false,
  requiresApproval,
});
const policy: ApprovalPolicy = {
  alwaysAsk: [],
  rememberable: [
    { rule: 'conversation:add_comment', tool: 'add_comment', label: 'Comments' },
    { rule: 'conversation:update_ticket.status', tool: 'update_ticket', label: 'Status changes' },
  ],
};

describe('ApprovalPolicySettings', () => {
  let api: Record<string, ReturnType<typeof vi.fn>>;
  let can: ReturnType<typeof signal<Can>>;

  beforeEach(() => {
    api = {
      tools: vi.fn(async () => [
        tool('search_tickets', 'Search tickets', false),
        tool('add_comment', 'Add a comment'),
        tool('set_member_permissions', 'Set member permissions'),
      ]),
      approvalPolicy: vi.fn(async () => policy),
      setApprovalPolicy: vi.fn(async (alwaysAsk: string[]) => ({
        ...policy,
        alwaysAsk,
        updatedBy: 'admin',
      })),
    };
    can = signal<Can>({ ...CAN_NOTHING, changeApprovalPolicy: true });
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiService, useValue: api },
        { provide: SessionService, useValue: { can: computed(() => can()) } },
      ],
    });
  });

  it('lists the tools that change data; an administrator sets one to always ask', async () => {
    const fixture = TestBed.createComponent(ApprovalPolicySettings);
    await fixture.whenStable();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    const boxes = [...root.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    expect(boxes.map((b) => b.dataset['tool'])).toEqual(['add_comment', 'set_member_permissions']);
    expect(root.textContent).toContain('comments and status changes');
    expect(root.querySelector('li')?.textContent).toContain('can be allowed per conversation');
    boxes[0]!.click();
    fixture.detectChanges();
    root.querySelector<HTMLButtonElement>('button.primary')!.click();
    await fixture.whenStable();
    fixture.detectChanges();
    expect(api['setApprovalPolicy']).toHaveBeenCalledWith(['add_comment']);
    expect(root.textContent).toContain('Saved.');
    expect(root.textContent).toContain('Last changed by admin');
  });

  it('is not there for anyone else', async () => {
    can.set({ ...CAN_NOTHING, workTickets: true });
    const fixture = TestBed.createComponent(ApprovalPolicySettings);
    await fixture.whenStable();
    expect(
      (fixture.nativeElement as HTMLElement).querySelector('[data-testid="approval-policy"]'),
    ).toBeNull();
    expect(api['tools']).not.toHaveBeenCalled();
  });
});
