import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { pillTone, words } from './entities';

/** A status or priority as a coloured pill, in words ("In progress"), its slug as data-value. */
@Component({
  selector: 'msi-pill',
  template: `<span
    class="pill"
    [attr.data-tone]="tone()"
    [attr.data-column]="column()"
    [attr.data-value]="value()"
    >{{ text() }}</span
  >`,
  styles: `
    .pill {
      display: inline-block;
      white-space: nowrap;
      font-size: 0.78rem;
      font-weight: 600;
      line-height: 1.4;
      padding: 0.05rem 0.5rem;
      border-radius: 999px;
      background: var(--surface-2);
      color: var(--muted);
      border: 1px solid var(--border);
    }
    .pill[data-tone='ok'] {
      background: var(--ok-soft);
      color: var(--ok);
      border-color: transparent;
    }
    .pill[data-tone='warn'] {
      background: var(--warn-soft);
      color: var(--warn);
      border-color: transparent;
    }
    .pill[data-tone='danger'] {
      background: var(--danger-soft);
      color: var(--danger);
      border-color: transparent;
    }
    .pill[data-tone='info'] {
      background: var(--accent-soft);
      color: var(--accent);
      border-color: transparent;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Pill {
  readonly value = input.required<string>();
  /** Which field it is (status, priority…): the label reads "Priority: Urgent" to screen readers. */
  readonly column = input('');
  protected readonly tone = computed(() => pillTone(this.value()));
  protected readonly text = computed(() => words(this.value()));
}
