import { compareCells, matchesFilter, nextSort, sortRows } from './table-tools';

describe('table tools', () => {
  it('compares ticket numbers, numbers and dates as what they are, empty cells last', () => {
    expect(sortRows(['TCK-1010', 'TCK-999', 'TCK-1002'], (x) => x, 'ascending')).toEqual([
      'TCK-999',
      'TCK-1002',
      'TCK-1010',
    ]);
    expect(sortRows(['10', '9', '—', '100'], (x) => x, 'ascending')).toEqual([
      '9',
      '10',
      '100',
      '—',
    ]);
    expect(compareCells('2026-01-02', '2025-12-31')).toBeGreaterThan(0);
    expect(sortRows(['b', 'A', 'c'], (x) => x, 'descending')).toEqual(['c', 'b', 'A']);
  });

  it('filters on every word, in any cell, case-insensitively', () => {
    expect(matchesFilter(['TCK-1', 'Dock not charging', 'Open'], 'dock open')).toBe(true);
    expect(matchesFilter(['TCK-1', 'Dock not charging', 'Open'], 'dock closed')).toBe(false);
    expect(matchesFilter(['x'], '  ')).toBe(true);
  });

  it('cycles a column ascending, descending, unsorted', () => {
    const a = nextSort(null, 'title');
    expect(a).toEqual({ column: 'title', direction: 'ascending' });
    const d = nextSort(a, 'title');
    expect(d).toEqual({ column: 'title', direction: 'descending' });
    expect(nextSort(d, 'title')).toBeNull();
    expect(nextSort(d, 'status')).toEqual({ column: 'status', direction: 'ascending' });
  });
});
