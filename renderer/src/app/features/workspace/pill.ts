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
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Pill {
  readonly value = input.required<string>();
  /** Which field it is (status, priority…): the label reads "Priority: Urgent" to screen readers. */
  readonly column = input('');
  protected readonly tone = computed(() => pillTone(this.value()));
  protected readonly text = computed(() => words(this.value()));
}
