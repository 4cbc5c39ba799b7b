import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { OUTCOME_UNKNOWN, type ToolCall } from '@msi/contracts/api';
import { ToolCard } from './tool-card';

async function render(call: ToolCall, ended = true) {
  const fixture = TestBed.createComponent(ToolCard);
  fixture.componentRef.setInput('call', call);
  fixture.componentRef.setInput('ended', ended);
  await fixture.whenStable();
  return fixture.nativeElement as HTMLElement;
}

const base: ToolCall = { callId: 'c1', server: 'ticketing', tool: 'create_ticket', args: {} };

describe('ToolCard', () => {
  it('an approved change cut off by the API stopping says its outcome is unknown, not failed or cancelled', async () => {
    const root = await render({
      ...base,
      error: `${OUTCOME_UNKNOWN}: the API stopped while this approved change was being made`,
      approval: { approvalId: 'a1', decision: 'approved' },
    });
    const card = root.querySelector<HTMLElement>('[data-testid="tool-card"]')!;
    expect(card.dataset['state']).toBe('unknown');
    expect(card.textContent).toContain(`Approved · ${OUTCOME_UNKNOWN}`);
    expect(card.textContent).not.toMatch(/Failed|Cancelled|Did not finish/);
  });

  it('a call that failed is failed', async () => {
    const root = await render({
      ...base,
      ok: false,
      error: 'Not made: the API stopped before you decided.',
    });
    expect(root.querySelector<HTMLElement>('[data-testid="tool-card"]')!.dataset['state']).toBe(
      'error',
    );
  });
});

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
  async function renderOpen(c: ToolCall) {
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.call.set(c);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    root.querySelector<HTMLButtonElement>('button.tool-head')!.click();
    fixture.detectChanges();
    return root;
  }

  it('says a change was approved automatically, and by which rule', async () => {
    const root = await renderOpen(
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
    const root = await renderOpen(
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
