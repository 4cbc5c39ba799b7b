import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { PILL_COLUMNS, isDateColumn, isTicketNumber, pillTone, shortDate, words } from './entities';
import { EntityPanelService } from './entity-panel.service';
import { FIRST_ROWS, matchesFilter, nextSort, sortRows, type SortDirection } from './table-tools';

type Row = Record<string, unknown>;

/** Column headers people read instead of the field names. */
const HEADERS: Record<string, string> = {
  number: 'Ticket',
  organizationName: 'Organization',
  organization: 'Organization',
  slaDueAt: 'SLA due',
  createdAt: 'Created',
  updatedAt: 'Updated',
  resolvedAt: 'Resolved',
  lastIncidentAt: 'Last incident',
  customerSince: 'Customer since',
  deviceCount: 'Devices',
  slaBreached: 'SLA breached',
  awareService: 'Aware service',
  legacyName: 'Formerly',
};

export function headerOf(column: string): string {
  return HEADERS[column] ?? words(column.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
}

/** The columns to show: a display name replaces its slug (organizationName over organization). */
export function visibleColumns(columns: readonly string[]): string[] {
  return columns.filter((c) => !(c === 'organization' && columns.includes('organizationName')));
}

/** A cell as text: dates short, slugs in words, lists joined. */
export function cellText(column: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map((v) => cellText(column, v)).join(', ') || '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'object') return JSON.stringify(value);
  const s = String(value);
  if (isDateColumn(column)) return shortDate(s);
  if (PILL_COLUMNS.has(column) || ['category', 'product', 'type', 'tier'].includes(column))
    return words(s);
  if (column === 'permissions') return words(s);
  return s;
}

/**
 * A table of tool results for scanning: sortable columns (aria-sort), a filter over every cell, the
 * first rows with "Show all", status and priority as pills, ticket numbers that open the ticket panel,
 * organizations and reporters that open the org card, dates that never wrap.
 */
@Component({
  selector: 'msi-data-table',
  template: `
    <div class="table-tools">
      <input
        type="search"
        class="table-filter"
        placeholder="Filter"
        [attr.aria-label]="'Filter ' + caption()"
        [value]="filter()"
        (input)="filter.set($any($event.target).value)"
      />
      <span class="muted count" aria-live="polite">
        @if (filter()) {
          {{ filtered().length }} of {{ rows().length }}
        } @else {
          {{ rows().length }} {{ rows().length === 1 ? 'row' : 'rows' }}
        }
      </span>
    </div>
    <div class="table-wrap" tabindex="0" [attr.aria-label]="caption() + ' table'">
      <table data-testid="data-table">
        <caption>
          {{
            header(caption())
          }}
        </caption>
        <thead>
          <tr>
            @for (column of columns(); track column) {
              <th scope="col" [attr.aria-sort]="sortOf(column)" [class.wide]="column === 'title'">
                <button type="button" class="sort" (click)="sortBy(column)">
                  {{ header(column) }}
                  <span class="arrow" aria-hidden="true">{{ arrow(column) }}</span>
                </button>
              </th>
            }
          </tr>
        </thead>
        <tbody>
          @for (row of shown(); track $index) {
            <tr>
              @for (column of columns(); track column) {
                @let value = row[column];
                <td [class.nowrap]="nowrap(column, value)">
                  @if (isTicket(value)) {
                    <button
                      type="button"
                      class="entity ticket-ref"
                      (click)="openTicket($any(value))"
                    >
                      {{ value }}
                    </button>
                  } @else if (orgOf(row, column); as org) {
                    <button
                      type="button"
                      class="entity"
                      (click)="
                        openOrg(
                          org,
                          column === 'reporter' || column === 'username' ? $any(value) : undefined
                        )
                      "
                    >
                      {{ text(column, value) }}
                    </button>
                  } @else if (isPill(column, value)) {
                    <span class="pill" [attr.data-tone]="tone(value)">{{
                      text(column, value)
                    }}</span>
                  } @else {
                    {{ text(column, value) }}
                  }
                </td>
              }
            </tr>
          } @empty {
            <tr>
              <td class="muted" [attr.colspan]="columns().length">
                No rows match “{{ filter() }}”.
              </td>
            </tr>
          }
        </tbody>
      </table>
    </div>
    @if (hidden() > 0) {
      <button type="button" class="ghost small show-all" (click)="all.set(true)">
        Show all {{ filtered().length }}
      </button>
    } @else if (all() && filtered().length > firstRows) {
      <button type="button" class="ghost small show-all" (click)="all.set(false)">
        Show fewer
      </button>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DataTable {
  readonly caption = input('Results');
  readonly rows = input.required<Row[]>();
  /** The fields to show (simple values), in order. */
  readonly fields = input.required<string[]>();
  /** The organization the rows belong to when they do not say (get_organization_users' members). */
  readonly organization = input<string | null>(null);
  private readonly entities = inject(EntityPanelService);

  protected readonly firstRows = FIRST_ROWS;
  protected readonly filter = signal('');
  protected readonly all = signal(false);
  protected readonly sort = signal<{ column: string; direction: SortDirection } | null>(null);

  protected readonly columns = computed(() => visibleColumns(this.fields()));
  protected readonly filtered = computed(() => {
    const columns = this.columns();
    const filter = this.filter();
    const rows = this.rows().filter((row) =>
      matchesFilter(
        columns.map((c) => cellText(c, row[c])),
        filter,
      ),
    );
    const sort = this.sort();
    return sort
      ? sortRows(rows, (row) => sortText(sort.column, row[sort.column]), sort.direction)
      : rows;
  });
  protected readonly shown = computed(() =>
    this.all() ? this.filtered() : this.filtered().slice(0, FIRST_ROWS),
  );
  protected readonly hidden = computed(() => this.filtered().length - this.shown().length);

  protected readonly header = headerOf;
  protected readonly text = cellText;
  protected readonly isTicket = isTicketNumber;

  protected sortBy(column: string): void {
    this.sort.set(nextSort(this.sort(), column));
  }
  protected sortOf(column: string): SortDirection | null {
    const s = this.sort();
    return s?.column === column ? s.direction : null;
  }
  protected arrow(column: string): string {
    const s = this.sortOf(column);
    return s === 'ascending' ? '▲' : s === 'descending' ? '▼' : '';
  }
  protected nowrap(column: string, value: unknown): boolean {
    return isDateColumn(column) || isTicketNumber(value) || PILL_COLUMNS.has(column);
  }
  protected isPill(column: string, value: unknown): boolean {
    return PILL_COLUMNS.has(column) && typeof value === 'string';
  }
  protected tone(value: unknown): string {
    return pillTone(String(value));
  }
  /** The organization a cell links to: an organization's own cells, and a reporter's or member's. */
  protected orgOf(row: Row, column: string): string | null {
    const org = typeof row['organization'] === 'string' ? row['organization'] : this.organization();
    if (column === 'organizationName' || column === 'organization')
      return typeof row['organization'] === 'string' ? row['organization'] : null;
    if (column === 'name' && typeof row['slug'] === 'string' && 'region' in row) return row['slug'];
    if ((column === 'reporter' || column === 'username') && org) return org;
    return null;
  }
  protected openTicket(number: string): void {
    void this.entities.openTicket(number);
  }
  protected openOrg(org: string, person?: string): void {
    void this.entities.openOrganization(org, person);
  }
}

/** What a column sorts by: the raw value for dates and numbers, priority by its rank. */
function sortText(column: string, value: unknown): string {
  if (column === 'priority' && typeof value === 'string')
    return String(['low', 'normal', 'high', 'urgent'].indexOf(value));
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
