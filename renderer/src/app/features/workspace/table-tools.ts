/**
 * Sorting and filtering for the tables people scan (tool results and the tables in answers): values
 * compared as what they are (ticket numbers by number, dates by time, numbers as numbers, text by
 * locale), a filter over every cell's text, and a first page with "Show all".
 */

/** Rows shown before "Show all". */
export const FIRST_ROWS = 10;

const NUMBER = /^-?\d+(\.\d+)?$/;
const TICKET = /^TCK-(\d+)$/;
const DATE = /^\d{4}-\d{2}-\d{2}/;

/** The value a cell sorts by. */
function key(text: string): [number, number | string] {
  const t = text.trim();
  if (t === '' || t === '—') return [2, ''];
  const ticket = TICKET.exec(t);
  if (ticket) return [0, Number(ticket[1])];
  if (NUMBER.test(t)) return [0, Number(t)];
  if (DATE.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return [0, ms];
  }
  return [1, t.toLocaleLowerCase()];
}

/** Ascending order of two cells' texts; empty cells last. */
export function compareCells(a: string, b: string): number {
  const [ka, va] = key(a);
  const [kb, vb] = key(b);
  if (ka !== kb) return ka - kb;
  if (typeof va === 'number' && typeof vb === 'number') return va - vb;
  return String(va).localeCompare(String(vb), 'en', { numeric: true });
}

export type SortDirection = 'ascending' | 'descending';

/** The rows (each a list of cell texts) sorted by one column; stable. */
export function sortRows<T>(
  rows: readonly T[],
  cell: (row: T) => string,
  direction: SortDirection,
): T[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, text: cell(row) }))
    .sort((a, b) => sign * compareCells(a.text, b.text) || a.i - b.i)
    .map((x) => x.row);
}

/** Whether a row's texts contain every word of the filter (case-insensitive). */
export function matchesFilter(texts: readonly string[], filter: string): boolean {
  const words = filter.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = texts.join(' \u0000 ').toLocaleLowerCase();
  return words.every((w) => hay.includes(w));
}

/** The next sort after a click on a column's header: ascending, then descending, then none. */
export function nextSort(
  current: { column: string; direction: SortDirection } | null,
  column: string,
): { column: string; direction: SortDirection } | null {
  if (current?.column !== column) return { column, direction: 'ascending' };
  return current.direction === 'ascending' ? { column, direction: 'descending' } : null;
}
