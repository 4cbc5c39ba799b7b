import { enhanceTable } from './answer-tables';

function table(rows: number): HTMLTableElement {
  const host = document.createElement('div');
  host.innerHTML = `<table><thead><tr><th>Ticket</th><th>Title</th><th>Status</th><th>Updated</th></tr></thead><tbody>${Array.from(
    { length: rows },
    (_, i) =>
      `<tr><td><a class="entity ticket-ref" href="#ticket/TCK-${1000 + i}">TCK-${1000 + i}</a></td><td>${i % 2 ? 'Dock not charging' : 'Camera offline'}</td><td>${i % 3 ? 'In progress' : 'Open'}</td><td>2026-01-${String((i % 28) + 1).padStart(2, '0')}</td></tr>`,
  ).join('')}</tbody></table>`;
  document.body.append(host);
  return host.querySelector('table')!;
}
const visible = (t: HTMLTableElement) => [...t.tBodies[0]!.rows].filter((r) => !r.hidden);

describe('enhanceTable', () => {
  afterEach(() => (document.body.innerHTML = ''));

  it('shows status as pills, keeps dates and numbers on one line, and the first 10 rows', () => {
    const t = table(14);
    enhanceTable(t);
    const first = t.tBodies[0]!.rows[0]!;
    expect(first.cells[2]!.querySelector('.pill')?.textContent).toBe('Open');
    expect(first.cells[2]!.querySelector<HTMLElement>('.pill')!.dataset['tone']).toBe('info');
    expect(first.cells[3]!.classList).toContain('nowrap');
    expect(first.cells[0]!.classList).toContain('nowrap');
    expect(visible(t)).toHaveLength(10);
    const more = t.parentElement!.querySelector<HTMLButtonElement>('button.show-all')!;
    expect(more.textContent).toBe('Show all 14');
    expect(more.style.display).toBe('');
    more.click();
    expect(visible(t)).toHaveLength(14);
    expect(more.textContent).toBe('Show fewer');
    enhanceTable(t); // idempotent
    expect(t.parentElement!.querySelectorAll('.table-tools')).toHaveLength(1);
  });

  it('sorts by a header (aria-sort) and filters the rows', () => {
    const t = table(6);
    enhanceTable(t);
    const [ticket] = [...t.querySelectorAll<HTMLButtonElement>('th button.sort')];
    ticket!.click();
    ticket!.click();
    expect(t.querySelector('th')!.getAttribute('aria-sort')).toBe('descending');
    expect(visible(t)[0]!.cells[0]!.textContent).toBe('TCK-1005');
    const filter = t.parentElement!.querySelector<HTMLInputElement>('input.table-filter')!;
    filter.value = 'dock';
    filter.dispatchEvent(new Event('input'));
    expect(visible(t).map((r) => r.cells[0]!.textContent)).toEqual([
      'TCK-1005',
      'TCK-1003',
      'TCK-1001',
    ]);
    expect(t.parentElement!.querySelector('.count')!.textContent).toBe('3 of 6');
  });
});
