import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
} from '@angular/core';
import type {
  CopilotAction,
  CopilotDraft,
  CopilotResult,
  CopilotSimilar,
  CopilotSummary,
} from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import { sectionLabel } from '../../ui/section-label';

const BUSY: Record<CopilotAction, string> = {
  summarize: 'Summarizing…',
  draft_reply: 'Drafting a reply…',
  similar: 'Looking for similar resolved tickets…',
};

/**
 * Copilot actions on one ticket (support staff): Summarize (problem, what was tried, status, next step),
 * Draft reply (from the documentation, with its sources; handed to the comment box through `draft`, where
 * the person edits and sends it), Similar tickets (resolved ones, each with its resolution; `openTicket`
 * opens one). In Basic mode the API answers extractively and the result says so.
 */
@Component({
  selector: 'msi-copilot-actions',
  template: `
    @if (allowed() && ticket(); as number) {
      <div class="copilot" data-testid="copilot-actions" [attr.data-ticket]="number">
        <div class="copilot-head">
          <h3>Copilot</h3>
          @if (session.offline() || result()?.extractive) {
            <span
              class="badge basic"
              title="No AI model: sentences are taken from the ticket and the documentation"
              >Basic mode</span
            >
          }
        </div>
        <div class="copilot-buttons" role="group" aria-label="Copilot actions">
          @for (a of actions; track a.action) {
            <button
              type="button"
              [attr.data-action]="a.action"
              [attr.aria-pressed]="result()?.action === a.action"
              [disabled]="!!busy()"
              (click)="run(a.action)"
            >
              {{ a.label }}
            </button>
          }
        </div>
        @if (busy(); as action) {
          <p class="muted" role="status">
            <span class="spinner" aria-hidden="true"></span> {{ busyText(action) }}
          </p>
        }
        @if (error(); as error) {
          <p class="error-text" role="alert" data-testid="copilot-error">{{ error }}</p>
        }
        @if (summary(); as s) {
          <dl class="brief" data-testid="copilot-summary">
            <dt>Problem</dt>
            <dd>{{ s.summary.problem }}</dd>
            <dt>What was tried</dt>
            <dd>{{ s.summary.tried }}</dd>
            <dt>Status</dt>
            <dd>{{ s.summary.status }}</dd>
            <dt>Next step</dt>
            <dd>{{ s.summary.nextStep }}</dd>
          </dl>
        }
        @if (draftResult(); as d) {
          <div class="draft" data-testid="copilot-draft">
            <p role="status">
              Draft reply inserted in the comment box below as a public reply: edit it, then send
              it.
            </p>
            @if (d.citations.length) {
              <ol class="sources" aria-label="Sources of the draft">
                @for (c of d.citations; track c.chunkId) {
                  <li [title]="c.snippet">
                    {{ c.title }}{{ section(c) ? ' › ' + section(c) : '' }}
                  </li>
                }
              </ol>
            } @else {
              <p class="muted">
                No documentation matched this ticket; the draft only acknowledges it.
              </p>
            }
            <button type="button" class="ghost" (click)="insert(d)">Insert the draft again</button>
          </div>
        }
        @if (similar(); as s) {
          @if (s.tickets.length) {
            <ol class="similar" data-testid="copilot-similar">
              @for (t of s.tickets; track t.number) {
                <li [attr.data-number]="t.number">
                  <button type="button" class="link nowrap" (click)="openTicket.emit(t.number)">
                    {{ t.number }}
                  </button>
                  <span class="title">{{ t.title }}</span>
                  <span class="muted">
                    · {{ t.organizationName }} · {{ t.matchedBy.join(' + ') }}</span
                  >
                  <p class="resolution">
                    @if (t.resolution) {
                      <strong>Resolution:</strong> {{ t.resolution }}
                    } @else {
                      <span class="muted">Closed without a recorded resolution.</span>
                    }
                  </p>
                </li>
              }
            </ol>
          } @else {
            <p class="muted" data-testid="copilot-similar">
              No resolved tickets like this one that you can see.
            </p>
          }
        }
        @if (result(); as r) {
          <p class="muted copilot-note" data-testid="copilot-note">
            {{ r.note ? r.note + ' · ' : ''
            }}{{ r.provider === 'openai' ? 'Written by ' + (r.model ?? 'the model') + ' · ' : ''
            }}{{ r.ms }} ms
          </p>
        }
      </div>
    }
  `,
  styleUrl: './copilot-actions.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CopilotActions {
  private readonly api = inject(ApiService);
  protected readonly session = inject(SessionService);

  /** The ticket's number (TCK-1042); null shows nothing. */
  readonly ticket = input<string | null | undefined>(null);
  /** A draft reply for the comment box: the person edits and sends it there. */
  readonly draft = output<{ body: string; internal: boolean }>();
  readonly openTicket = output<string>();

  protected readonly actions: { action: CopilotAction; label: string }[] = [
    { action: 'summarize', label: 'Summarize' },
    { action: 'draft_reply', label: 'Draft reply' },
    { action: 'similar', label: 'Similar tickets' },
  ];
  protected readonly allowed = computed(() => this.session.can().workTickets);
  protected readonly busy = signal<CopilotAction | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly result = signal<CopilotResult | null>(null);
  protected readonly summary = computed(() =>
    this.result()?.action === 'summarize' ? (this.result() as CopilotSummary) : null,
  );
  protected readonly draftResult = computed(() =>
    this.result()?.action === 'draft_reply' ? (this.result() as CopilotDraft) : null,
  );
  protected readonly similar = computed(() =>
    this.result()?.action === 'similar' ? (this.result() as CopilotSimilar) : null,
  );
  private controller: AbortController | null = null;

  constructor() {
    // Another ticket: nothing of the last one stays.
    effect(() => {
      this.ticket();
      untracked(() => {
        this.controller?.abort();
        this.result.set(null);
        this.error.set(null);
        this.busy.set(null);
      });
    });
  }

  async run(action: CopilotAction): Promise<void> {
    const number = this.ticket();
    if (!number || this.busy()) return;
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    this.busy.set(action);
    this.error.set(null);
    try {
      const result = await this.api.copilot(number, action, controller.signal);
      if (controller.signal.aborted) return;
      this.result.set(result);
      if (result.action === 'draft_reply') this.insert(result);
    } catch (error) {
      if (!controller.signal.aborted)
        this.error.set(`${this.label(action)} failed: ${messageOf(error)}`);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.busy.set(null);
      }
    }
  }

  protected insert(d: CopilotDraft): void {
    this.draft.emit({ body: d.draft, internal: false });
  }
  protected busyText(action: CopilotAction): string {
    return BUSY[action];
  }
  protected section(c: { title: string; section: string }): string {
    return sectionLabel(c.title, c.section);
  }
  private label(action: CopilotAction): string {
    return this.actions.find((a) => a.action === action)!.label;
  }
}
