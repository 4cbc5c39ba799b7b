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
