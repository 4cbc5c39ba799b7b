import { TestBed } from '@angular/core/testing';
import { ApiService } from '../../core/api.service';
import { DataTable, cellText, visibleColumns } from './data-table';
import { EntityPanelService } from './entity-panel.service';

const rows = Array.from({ length: 12 }, (_, i) => ({
  number: `TCK-${1001 + i}`,
  title: i % 2 ? 'Dock not charging' : 'Camera offline',
  status: i % 3 ? 'in_progress' : 'open',
  priority: ['low', 'normal', 'high', 'urgent'][i % 4],
  organization: 'dallas-police',
  organizationName: 'Dallas Police Department',
  updatedAt: `2026-01-${String(i + 1).padStart(2, '0')}T10:00:00Z`,
}));

async function setup() {
  TestBed.configureTestingModule({ providers: [{ provide: ApiService, useValue: {} }] });
  const fixture = TestBed.createComponent(DataTable);
  fixture.componentRef.setInput('caption', 'tickets');
  fixture.componentRef.setInput('rows', rows);
  fixture.componentRef.setInput('fields', Object.keys(rows[0]!));
  await fixture.whenStable();
  const root = fixture.nativeElement as HTMLElement;
  const body = () =>
    [...root.querySelectorAll('tbody tr')].map((r) =>
      [...r.querySelectorAll('td')].map((c) => c.textContent!.trim()),
    );
  return { fixture, root, body };
}

describe('DataTable', () => {
  it('shows names instead of slugs, pills, short dates and the first 10 rows', async () => {
    const { root, body, fixture } = await setup();
    expect([...root.querySelectorAll('th')].map((t) => t.textContent!.trim())).toEqual([
      'Ticket',
      'Title',
      'Status',
      'Priority',
      'Organization',
      'Updated',
    ]);
    expect(body()).toHaveLength(10);
    expect(body()[1]).toEqual([
      'TCK-1002',
      'Dock not charging',
      'In progress',
      'Normal',
      'Dallas Police Department',
      expect.stringMatching(/^Jan 2, \d\d:\d\d$/),
    ]);
    expect(root.querySelector('td .pill[data-tone="info"]')).not.toBeNull();
    root.querySelector<HTMLButtonElement>('button.show-all')!.click();
    await fixture.whenStable();
    expect(body()).toHaveLength(12);
  });

  it('sorts by priority rank and filters on every cell', async () => {
    const { root, body, fixture } = await setup();
    const priority = [...root.querySelectorAll<HTMLButtonElement>('th button.sort')][3]!;
    priority.click();
    priority.click();
    await fixture.whenStable();
    expect(root.querySelectorAll('th')[3]!.getAttribute('aria-sort')).toBe('descending');
    expect(body()[0]![3]).toBe('Urgent');
    const filter = root.querySelector<HTMLInputElement>('input.table-filter')!;
    filter.value = 'dock urgent';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(body().map((r) => r[0])).toEqual(['TCK-1004', 'TCK-1008', 'TCK-1012']);
    expect(root.querySelector('.count')!.textContent!.trim()).toBe('3 of 12');
  });

  it('a ticket number opens the ticket panel, an organization its card', async () => {
    const { root } = await setup();
    const panels = TestBed.inject(EntityPanelService);
    const openTicket = vi.spyOn(panels, 'openTicket').mockResolvedValue();
    const openOrg = vi.spyOn(panels, 'openOrganization').mockResolvedValue();
    root.querySelector<HTMLButtonElement>('button.ticket-ref')!.click();
    expect(openTicket).toHaveBeenCalledWith('TCK-1001');
    [...root.querySelectorAll<HTMLButtonElement>('button.entity')]
      .find((b) => b.textContent!.includes('Dallas'))!
      .click();
    expect(openOrg).toHaveBeenCalledWith('dallas-police', undefined);
  });

  it('formats cells in words', () => {
    expect(visibleColumns(['organization', 'organizationName', 'title'])).toEqual([
      'organizationName',
      'title',
    ]);
    expect(cellText('status', 'waiting_on_customer')).toBe('Waiting on customer');
    expect(cellText('assignee', null)).toBe('—');
    expect(cellText('slaBreached', true)).toBe('Yes');
  });
});
