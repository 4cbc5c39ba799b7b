import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';
import { OUTCOME_UNKNOWN, type ToolCall } from '@msi/contracts/api';
import { Icon } from '../../ui/icon';
import { ResultView } from './result-view';

let ids = 0;

/** One tool call: server, tool, arguments, result, time, error. Collapsed by default. */
@Component({
  selector: 'msi-tool-card',
  imports: [Icon, ResultView],
  template: `
    <div
      class="tool-card"
      data-testid="tool-card"
      [attr.data-state]="state()"
      [attr.data-tool]="call().tool"
    >
      <button
        type="button"
        class="tool-head"
        [attr.aria-expanded]="open()"
        [attr.aria-controls]="bodyId"
        (click)="open.set(!open())"
      >
        <msi-icon class="chevron" name="chevron" />
        <span class="tool-state" [attr.data-state]="state()">
          @switch (state()) {
            @case ('running') {
              <span class="spinner" aria-hidden="true"></span>
            }
            @case ('ok') {
              <msi-icon name="check" />
            }
            @case ('unknown') {
              <msi-icon name="warn" />
            }
            @default {
              <msi-icon name="x" />
            }
          }
        </span>
        <span class="tool-name"
          ><span class="muted">{{ call().server }} ·</span> {{ call().tool }}</span
        >
        <span class="tool-meta">{{ meta() }}</span>
      </button>
      @if (open()) {
        <div class="tool-body" [id]="bodyId">
          <h4>Arguments</h4>
          @if (hasArgs()) {
            <msi-result-view [value]="call().args" />
          } @else {
            <p class="muted">None</p>
          }
          @if (call().error) {
            <h4>Error</h4>
            <p class="tool-error">{{ call().error }}</p>
          }
          @if (call().result !== undefined) {
            <h4>Result</h4>
            <msi-result-view [value]="call().result" />
          }
        </div>
      }
    </div>
  `,
  styleUrl: './tool-card.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ToolCard {
  readonly call = input.required<ToolCall>();
  /** The turn is over: a call without a result did not finish. */
  readonly ended = input(false);
  protected readonly open = signal(false);
  protected readonly bodyId = `tool-body-${++ids}`;
  protected readonly hasArgs = computed(() => Object.keys(this.call().args ?? {}).length > 0);

  /** `unknown`: an approved change cut off while it was being made (the API stopped): it may have been made. */
  readonly state = computed<'running' | 'ok' | 'error' | 'unknown'>(() => {
    const call = this.call();
    if (call.ok === true) return 'ok';
    if (call.ok === undefined && call.error?.startsWith(OUTCOME_UNKNOWN)) return 'unknown';
    if (
      call.ok === false ||
      call.approval?.decision === 'denied' ||
      call.approval?.decision === 'timeout'
    )
      return 'error';
    return this.ended() ? 'error' : 'running';
  });

  protected readonly meta = computed(() => {
    const call = this.call();
    const decision = call.approval?.decision;
    const time = call.ms !== undefined ? ` · ${formatMs(call.ms)}` : '';
    if (decision === 'denied') return `Denied${time}`;
    if (decision === 'timeout') return 'No decision in time';
    if (this.state() === 'unknown') return `Approved · ${OUTCOME_UNKNOWN}`;
    if (call.ok === true) return `${decision === 'approved' ? 'Approved · ' : ''}Done${time}`;
    if (call.ok === false) return `Failed${time}`;
    if (this.ended()) return 'Did not finish';
    return decision === 'pending' ? 'Waiting for your approval' : 'Running…';
  });
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
