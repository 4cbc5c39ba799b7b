import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ToolCall } from '@msi/contracts/api';
import { ToolCard } from './tool-card';

@Component({
  imports: [ToolCard],
  template: `<msi-tool-card [call]="call()" [ended]="true" />`,
})
class Host {
  readonly call = signal<ToolCall>({
    callId: 'c',
    server: 'ticketing',
    tool: 'add_comment',
    args: {},
  });
}

const call = (over: Partial<ToolCall>): ToolCall => ({
  callId: 'c1',
  server: 'ticketing',
  tool: 'add_comment',
  args: { number: 'TCK-1042', body: 'Second note' },
  ok: true,
  result: { ok: 1 },
  ms: 40,
  ...over,
});

describe('ToolCard approval record', () => {
  async function render(c: ToolCall) {
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.call.set(c);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    root.querySelector<HTMLButtonElement>('button.tool-head')!.click();
    fixture.detectChanges();
    return root;
  }

  it('says a change was approved automatically, and by which rule', async () => {
    const root = await render(
      call({
        approval: {
          approvalId: 'a1',
          decision: 'approved',
          auto: {
            rule: 'conversation:add_comment',
            label: 'Comments allowed for this conversation by Alex Rivera at 2026-12-01 23:41 UTC',
            grantedBy: 'sub-1',
            grantedAt: '2026-12-01T23:41:00Z',
          },
        },
      }),
    );
    expect(root.querySelector('.tool-meta')?.textContent).toContain('Auto-approved · Done');
    const note = root.querySelector('[data-testid="auto-approval"]')!;
    expect(note.textContent).toContain('Comments allowed for this conversation by Alex Rivera');
    expect(note.textContent).toContain('conversation:add_comment');
  });

  it('shows what the assistant proposed when the person edited it before approving', async () => {
    const root = await render(
      call({
        args: { number: 'TCK-1042', body: 'Edited' },
        approval: {
          approvalId: 'a2',
          decision: 'approved',
          proposed: { number: 'TCK-1042', body: 'Draft' },
        },
      }),
    );
    expect(root.querySelector('.tool-meta')?.textContent).toContain('Edited & approved · Done');
    expect(root.textContent).toContain('Proposed by the assistant (edited before approval)');
    expect(root.querySelector('[data-testid="auto-approval"]')).toBeNull();
  });
});
