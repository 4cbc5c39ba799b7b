import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { isTicketNumber } from '../workspace/entities';
import { EntityPanelService } from '../workspace/entity-panel.service';
import { DataTable } from '../workspace/data-table';

type Row = Record<string, unknown>;
interface Table {
  caption: string;
  columns: string[];
  rows: Row[];
}
interface View {
  /** The organization slug the result is about (its rows' people belong to it). */
  organization: string | null;
  fields: [string, string][];
  tables: Table[];
  rest: string | null;
}

const isRow = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isRows = (value: unknown): value is Row[] =>
  Array.isArray(value) && value.length > 0 && value.every(isRow);
const isScalar = (value: unknown) =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value) && value.every(isScalar)) return value.join(', ') || '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Tickets show these, in this order (the rest is in the ticket panel). */
const TICKET_COLUMNS = [
  'number',
  'title',
  'status',
  'priority',
  'organizationName',
  'assignee',
  'slaDueAt',
  'updatedAt',
];
/** Long text, or a slug whose display name is shown: never a column. */
const NOT_COLUMNS = new Set(['description', 'resolution']);

function table(caption: string, rows: Row[]): Table {
  const first = rows[0] ?? {};
  if ('number' in first && 'status' in first && 'title' in first)
    return { caption, columns: TICKET_COLUMNS.filter((c) => c in first), rows };
  const columns: string[] = [];
  for (const row of rows.slice(0, 20)) {
    for (const [key, value] of Object.entries(row)) {
      const simple = isScalar(value) || (Array.isArray(value) && value.every(isScalar));
      if (key === 'organization' && 'organizationName' in row) continue;
      if (simple && !NOT_COLUMNS.has(key) && !columns.includes(key) && columns.length < 7)
        columns.push(key);
    }
  }
  return { caption, columns, rows };
}

/** Lists of objects (tickets, users, deployments…) become tables; scalar fields a list; the rest JSON. */
export function viewOf(value: unknown): View {
  if (isRows(value))
    return { organization: null, fields: [], tables: [table('Results', value)], rest: null };
  if (!isRow(value))
    return {
      organization: null,
      fields: [],
      tables: [],
      rest: typeof value === 'string' ? value : JSON.stringify(value, null, 2),
    };
  const view: View = {
    organization: typeof value['organization'] === 'string' ? value['organization'] : null,
    fields: [],
    tables: [],
    rest: null,
  };
  const rest: Row = {};
  for (const [key, entry] of Object.entries(value)) {
    if (isRows(entry)) view.tables.push(table(key, entry));
    else if (isScalar(entry) || (Array.isArray(entry) && entry.every(isScalar)))
      view.fields.push([key, formatValue(entry)]);
    else if (
      isRow(entry) &&
      Object.values(entry).every((v) => isScalar(v) || (Array.isArray(v) && v.every(isScalar)))
    )
      // One record (get_ticket's ticket): its fields, prefixed with its name.
      for (const [k, v] of Object.entries(entry)) view.fields.push([`${key}.${k}`, formatValue(v)]);
    else rest[key] = entry;
  }
  if (Object.keys(rest).length) view.rest = JSON.stringify(rest, null, 2);
  return view;
}

/** A tool result or arguments, shown for people: fields, tables, and JSON only for what remains. */
@Component({
  selector: 'msi-result-view',
  imports: [DataTable],
  template: `
    @let v = view();
    @if (v.fields.length) {
      <dl class="fields">
        @for (field of v.fields; track field[0]) {
          <dt>{{ field[0] }}</dt>
          <dd>
            @if (isTicket(field[1])) {
              <button type="button" class="entity ticket-ref" (click)="openTicket(field[1])">
                {{ field[1] }}
              </button>
            } @else {
              {{ field[1] }}
            }
          </dd>
        }
      </dl>
    }
    @for (t of v.tables; track t.caption) {
      <msi-data-table
        [caption]="t.caption"
        [rows]="t.rows"
        [fields]="t.columns"
        [organization]="v.organization"
      />
    }
    @if (v.rest) {
      <pre class="block json">{{ v.rest }}</pre>
    }
  `,
  styleUrl: './result-view.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ResultView {
  readonly value = input<unknown>();
  protected readonly view = computed(() => viewOf(this.value()));
  private readonly entities = inject(EntityPanelService);
  protected readonly isTicket = isTicketNumber;
  /** A ticket number in a tool card opens the ticket panel. */
  protected openTicket(number: string): void {
    void this.entities.openTicket(number);
  }
}
