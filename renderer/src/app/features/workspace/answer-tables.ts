import {
  Directive,
  ElementRef,
  Injector,
  afterNextRender,
  effect,
  inject,
  input,
} from '@angular/core';
import { pillTone, words } from './entities';
import {
  FIRST_ROWS,
  compareCells,
  matchesFilter,
  nextSort,
  type SortDirection,
} from './table-tools';

const PILL_HEADERS = /^(status|priority|overall status)$/i;
const SLUG_LIST = /^[a-z]+(_[a-z]+)+(,\s*[a-z]+(_[a-z]+)+)*$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?Z?)?$/;

/**
 * Makes one table of an answer (rendered Markdown) scannable, in place: status and priority cells as
 * pills, dates and ticket numbers unwrapped, sortable headers (aria-sort), a filter, and the first
 * rows with "Show all". Idempotent: a table already enhanced is left alone.
 */
export function enhanceTable(table: HTMLTableElement): void {
  if (table.dataset['enhanced']) return;
  table.dataset['enhanced'] = 'true';
  const doc = table.ownerDocument;
  const headers = [...table.querySelectorAll<HTMLTableCellElement>('thead th')];
  const body = table.tBodies[0];
  if (!body || !headers.length) return;
  const rows = [...body.rows];
  const original = [...rows];

  headers.forEach((th, i) => {
    // A column of long text (titles) keeps a readable width beside the unwrapped ones.
    const long =
      rows.reduce((n, r) => n + (r.cells[i]?.textContent?.length ?? 0), 0) / rows.length > 24;
    if (long) th.classList.add('wide');
    const pill = PILL_HEADERS.test(th.textContent?.trim() ?? '');
    for (const row of rows) {
      const td = row.cells[i];
      if (!td) continue;
      const text = td.textContent?.trim() ?? '';
      if (DATE_TEXT.test(text) || td.querySelector('.ticket-ref')) td.classList.add('nowrap');
      // Slugs in words: "view_records, edit_records" → "View records, Edit records".
      if (SLUG_LIST.test(text) && td.children.length === 0)
        td.textContent = text.split(/,\s*/).map(words).join(', ');
      if (pill && text && text !== '—' && td.children.length === 0) {
        const span = doc.createElement('span');
        span.className = 'pill';
        span.dataset['tone'] = pillTone(text.toLowerCase().replace(/\s+/g, '_'));
        span.textContent = text;
        td.replaceChildren(span);
        td.classList.add('nowrap');
      }
    }
  });

  const wrap = doc.createElement('div');
  wrap.className = 'answer-table';
  table.replaceWith(wrap);
  const tools = doc.createElement('div');
  tools.className = 'table-tools';
  const filter = doc.createElement('input');
  filter.type = 'search';
  filter.className = 'table-filter';
  filter.placeholder = 'Filter';
  filter.setAttribute('aria-label', 'Filter the table');
  const count = doc.createElement('span');
  count.className = 'muted count';
  count.setAttribute('aria-live', 'polite');
  tools.append(filter, count);
  const more = doc.createElement('button');
  more.type = 'button';
  more.className = 'ghost small show-all';
  wrap.append(tools, table, more);

  let sort: { column: string; direction: SortDirection } | null = null;
  let all = false;
  const texts = new Map(rows.map((r) => [r, [...r.cells].map((c) => c.textContent?.trim() ?? '')]));
  const update = () => {
    let list = original.filter((r) => matchesFilter(texts.get(r)!, filter.value));
    if (sort) {
      const i = Number(sort.column);
      const sign = sort.direction === 'ascending' ? 1 : -1;
      list = [...list].sort(
        (a, b) => sign * compareCells(texts.get(a)![i] ?? '', texts.get(b)![i] ?? ''),
      );
    }
    const shown = all ? list : list.slice(0, FIRST_ROWS);
    for (const r of original) r.hidden = !shown.includes(r);
    body.append(...list);
    count.textContent = filter.value
      ? `${list.length} of ${original.length}`
      : `${original.length} rows`;
    // (Buttons are display: inline-flex, which `hidden` does not override.)
    more.style.display = list.length <= FIRST_ROWS ? 'none' : '';
    more.textContent = all ? 'Show fewer' : `Show all ${list.length}`;
    headers.forEach((th, i) => {
      const dir = sort?.column === String(i) ? sort.direction : null;
      if (dir) th.setAttribute('aria-sort', dir);
      else th.removeAttribute('aria-sort');
      th.querySelector('.arrow')!.textContent =
        dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '';
    });
  };
  headers.forEach((th, i) => {
    const button = doc.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.append(...th.childNodes);
    const arrow = doc.createElement('span');
    arrow.className = 'arrow';
    arrow.setAttribute('aria-hidden', 'true');
    button.append(arrow);
    button.addEventListener('click', () => {
      sort = nextSort(sort, String(i));
      update();
    });
    th.replaceChildren(button);
  });
  filter.addEventListener('input', update);
  more.addEventListener('click', () => {
    all = !all;
    update();
  });
  update();
}

/** Enhances the tables of the rendered Markdown in this element, each time its HTML changes. */
@Directive({ selector: '[msiAnswerTables]' })
export class AnswerTables {
  /** The HTML the element shows (the trigger: tables are enhanced after it is rendered). */
  readonly msiAnswerTables = input<string | null>(null);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);

  constructor() {
    effect(() => {
      if (!this.msiAnswerTables()) return;
      afterNextRender(
        () => this.host.nativeElement.querySelectorAll('table').forEach(enhanceTable),
        { injector: this.injector },
      );
    });
  }
}
