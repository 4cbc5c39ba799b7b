import {
  Injector,
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { ResultView } from './result-view';
import { ChatStore } from './chat.store';

/**
 * "Approve change?": what will change in words (the API's summary) and as arguments. A native modal
 * <dialog>: focus stays inside, Esc denies, Deny has the initial focus (the safe choice).
 */
@Component({
  selector: 'msi-approval-dialog',
  imports: [ResultView],
  template: `
    <dialog
      #dialog
      class="approval"
      aria-labelledby="approval-title"
      aria-describedby="approval-summary"
      data-testid="approval-dialog"
      (cancel)="onCancel($event)"
    >
      @if (store.approval(); as approval) {
        <h2 id="approval-title">Approve change?</h2>
        <p id="approval-summary" class="summary">{{ approval.summary }}</p>
        <p class="muted">
          The assistant wants to run <code>{{ approval.tool }}</code> with:
        </p>
        <div class="approval-args"><msi-result-view [value]="approval.args" /></div>
        @if (store.approvalError(); as error) {
          <p role="alert" class="error-text">{{ error }}</p>
        }
        <div class="dialog-actions">
          <button type="button" #deny (click)="decide('deny')" [disabled]="sending()">Deny</button>
          <button type="button" class="primary" (click)="decide('approve')" [disabled]="sending()">
            Approve
          </button>
        </div>
      }
    </dialog>
  `,
  styleUrl: './approval-dialog.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApprovalDialog {
  protected readonly store = inject(ChatStore);
  protected readonly sending = signal(false);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly deny = viewChild<ElementRef<HTMLButtonElement>>('deny');
  private readonly injector = inject(Injector);

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      const open = this.store.approval() !== null;
      if (open && !dialog.open) {
        if (typeof dialog.showModal === 'function') dialog.showModal();
        else dialog.setAttribute('open', '');
        afterNextRender(() => this.deny()?.nativeElement.focus(), { injector: this.injector });
      } else if (!open && dialog.open) {
        if (typeof dialog.close === 'function') dialog.close();
        else dialog.removeAttribute('open');
      }
    });
  }

  protected async decide(decision: 'approve' | 'deny'): Promise<void> {
    this.sending.set(true);
    try {
      await this.store.decide(decision);
    } finally {
      this.sending.set(false);
    }
  }

  /** Esc: deny (the dialog closes when the store has no pending approval). */
  protected onCancel(event: Event): void {
    event.preventDefault();
    if (!this.sending()) void this.decide('deny');
  }
}
