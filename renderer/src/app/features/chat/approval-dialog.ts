import {
  Injector,
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { ChatStore } from './chat.store';
import {
  argsOf,
  fieldsOf,
  sameArgs,
  valuesOf,
  type FieldValue,
  type FormField,
} from './approval-form';

let ids = 0;

/**
 * "Approve change?": what will change in words (the API's summary) and the proposed arguments as a form the
 * person may edit (fields from the tool's schema, pre-filled by the assistant; what names the target is
 * read-only). "Don't ask again in this conversation" for the low-risk changes the policy offers it for.
 * A native modal <dialog>: focus stays inside, Esc denies, Deny has the initial focus (the safe choice).
 */
@Component({
  selector: 'msi-approval-dialog',
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
          The assistant proposes <code>{{ approval.tool }}</code> with these values. Change any of
          them before you approve; what the form says is what runs.
        </p>
        <div class="approval-form" data-testid="approval-form">
          @for (field of fields(); track field.name) {
            <div class="field" [attr.data-field]="field.name">
              @switch (field.kind) {
                @case ('checkbox') {
                  <label class="check">
                    <input
                      type="checkbox"
                      [checked]="values()[field.name] === true"
                      [disabled]="field.locked || sending()"
                      (change)="set(field.name, $any($event.target).checked)"
                    />
                    {{ field.label }}
                  </label>
                }
                @case ('multi') {
                  <fieldset>
                    <legend>{{ field.label }}</legend>
                    @for (option of field.options; track option) {
                      <label class="check">
                        <input
                          type="checkbox"
                          [checked]="listOf(field.name).includes(option)"
                          [disabled]="field.locked || sending()"
                          (change)="toggle(field.name, option, $any($event.target).checked)"
                        />
                        {{ words(option) }}
                      </label>
                    }
                  </fieldset>
                }
                @default {
                  <label [for]="idOf(field)">
                    {{ field.label }}
                    @if (field.locked) {
                      <span class="muted">(what is changed; not editable)</span>
                    }
                  </label>
                  @switch (field.kind) {
                    @case ('select') {
                      <select
                        [id]="idOf(field)"
                        [value]="values()[field.name]"
                        [disabled]="field.locked || sending()"
                        (change)="set(field.name, $any($event.target).value)"
                      >
                        @if (!field.required) {
                          <option value="">— not set —</option>
                        }
                        @for (option of field.options; track option) {
                          <option [value]="option" [selected]="values()[field.name] === option">
                            {{ words(option) }}
                          </option>
                        }
                      </select>
                    }
                    @case ('textarea') {
                      <textarea
                        [id]="idOf(field)"
                        rows="4"
                        [value]="values()[field.name]"
                        [readOnly]="field.locked"
                        [disabled]="sending()"
                        (input)="set(field.name, $any($event.target).value)"
                      ></textarea>
                    }
                    @default {
                      <input
                        [id]="idOf(field)"
                        [type]="field.kind === 'number' ? 'number' : 'text'"
                        [value]="values()[field.name]"
                        [readOnly]="field.locked"
                        [disabled]="sending()"
                        (input)="set(field.name, $any($event.target).value)"
                      />
                    }
                  }
                }
              }
            </div>
          }
        </div>
        @if (edited()) {
          <p class="muted edited-note" data-testid="approval-edited">
            You changed the proposal: your values will be sent.
          </p>
        }
        @if (approval.policy?.remember; as offer) {
          <label class="check remember">
            <input
              type="checkbox"
              data-testid="approval-remember"
              [checked]="remember()"
              [disabled]="sending()"
              (change)="rememberSet($any($event.target).checked)"
            />
            Don't ask again for {{ lower(offer.label) }}
          </label>
        } @else if (approval.policy?.alwaysAsk) {
          <p class="muted">An administrator set this kind of change to always ask.</p>
        }
        @if (formError() ?? store.approvalError(); as error) {
          <p role="alert" class="error-text">{{ error }}</p>
        }
        <div class="dialog-actions">
          <button type="button" #deny (click)="decide('deny')" [disabled]="sending()">Deny</button>
          <button type="button" class="primary" (click)="decide('approve')" [disabled]="sending()">
            {{ edited() ? 'Approve with changes' : 'Approve' }}
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
  protected readonly fields = computed<FormField[]>(() => {
    const a = this.store.approval();
    return a ? fieldsOf(a.schema, a.args, a.policy?.locked ?? []) : [];
  });
  protected readonly values = signal<Record<string, FieldValue>>({});
  protected readonly remember = signal(false);
  protected readonly formError = signal<string | null>(null);
  private readonly prefix = `approval-${++ids}`;
  /** The form's arguments, when they differ from the proposal. */
  protected readonly edited = computed(() => {
    const a = this.store.approval();
    if (!a) return null;
    const r = argsOf(this.fields(), this.values(), a.args);
    return 'args' in r && !sameArgs(r.args, a.args) ? r.args : null;
  });
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly deny = viewChild<ElementRef<HTMLButtonElement>>('deny');
  private readonly injector = inject(Injector);

  constructor() {
    // A new approval starts from the assistant's proposal.
    effect(() => {
      const a = this.store.approval();
      const fields = this.fields();
      untracked(() => {
        this.values.set(a ? valuesOf(fields, a.args) : {});
        this.remember.set(false);
        this.formError.set(null);
      });
    });
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
    const a = this.store.approval();
    if (!a) return;
    this.formError.set(null);
    let args: Record<string, unknown> | undefined;
    if (decision === 'approve') {
      const r = argsOf(this.fields(), this.values(), a.args);
      if ('error' in r) {
        this.formError.set(r.error);
        return;
      }
      if (!sameArgs(r.args, a.args)) args = r.args;
    }
    this.sending.set(true);
    try {
      await this.store.decide(decision, {
        ...(args ? { args } : {}),
        ...(this.remember() ? { remember: true } : {}),
      });
    } finally {
      this.sending.set(false);
    }
  }

  protected set(name: string, value: FieldValue): void {
    this.values.update((v) => ({ ...v, [name]: value }));
  }
  protected toggle(name: string, option: string, on: boolean): void {
    const list = this.listOf(name).filter((x) => x !== option);
    this.set(name, on ? [...list, option] : list);
  }
  protected listOf(name: string): string[] {
    const v = this.values()[name];
    return Array.isArray(v) ? v : [];
  }
  protected rememberSet(on: boolean): void {
    this.remember.set(on);
  }
  protected idOf(field: FormField): string {
    return `${this.prefix}-${field.name}`;
  }
  protected words(v: string): string {
    const s = v.replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  protected lower(s: string): string {
    return s.charAt(0).toLowerCase() + s.slice(1);
  }

  /** Esc: deny (the dialog closes when the store has no pending approval). */
  protected onCancel(event: Event): void {
    event.preventDefault();
    if (!this.sending()) void this.decide('deny');
  }
}
