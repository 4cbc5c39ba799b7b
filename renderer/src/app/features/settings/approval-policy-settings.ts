import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { ApprovalPolicy, ToolInfo } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';

/**
 * Administrators: which changes always ask for approval, whatever a person allowed for a conversation
 * (GET/PUT /api/approval-policy). Lists the tools that change data; says which kinds "Don't ask again"
 * is offered for (never permission changes).
 */
@Component({
  selector: 'msi-approval-policy-settings',
  template: `
    @if (session.can().changeApprovalPolicy) {
      <section
        class="card approval-policy"
        aria-labelledby="policy-title"
        data-testid="approval-policy"
      >
        <h2 id="policy-title">Approvals</h2>
        <p class="muted">
          Every change waits for the person's approval. For
          {{ rememberable() || 'low-risk changes' }} they may choose "Don't ask again" for the rest
          of a conversation; permission changes are always asked. Tick a tool to make it always ask,
          for everyone.
        </p>
        @if (error(); as e) {
          <p role="alert" class="error-text">{{ e }}</p>
        }
        @if (tools(); as list) {
          <ul class="tool-list">
            @for (t of list; track t.name) {
              <li>
                <label>
                  <input
                    type="checkbox"
                    [attr.data-tool]="t.name"
                    [checked]="alwaysAsk().includes(t.name)"
                    (change)="toggle(t.name, $any($event.target).checked)"
                  />
                  <span>{{ t.title }}</span>
                  <code class="muted">{{ t.name }}</code>
                  @if (isRememberable(t.name)) {
                    <span class="badge basic">can be allowed per conversation</span>
                  }
                </label>
              </li>
            }
          </ul>
          <div class="row">
            <button
              type="button"
              class="primary"
              [disabled]="saving() || !dirty()"
              (click)="save()"
            >
              {{ saving() ? 'Saving…' : 'Save approval settings' }}
            </button>
            @if (saved()) {
              <span role="status" class="ok-text">Saved.</span>
            }
          </div>
          @if (policy()?.updatedBy; as by) {
            <p class="muted">
              Last changed by {{ by }} at
              {{ policy()?.updatedAt?.slice(0, 16)?.replace('T', ' ') }} UTC.
            </p>
          }
        } @else if (!error()) {
          <p class="muted" role="status">Loading…</p>
        }
      </section>
    }
  `,
  styles: `
    .approval-policy {
      margin-top: 1.25rem;
    }
    .tool-list {
      list-style: none;
      padding: 0;
      display: grid;
      gap: 0.35rem;
    }
    .tool-list label {
      display: flex;
      gap: 0.5rem;
      align-items: center;
      flex-wrap: wrap;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApprovalPolicySettings {
  private readonly api = inject(ApiService);
  protected readonly session = inject(SessionService);
  protected readonly tools = signal<ToolInfo[] | null>(null);
  protected readonly policy = signal<ApprovalPolicy | null>(null);
  protected readonly alwaysAsk = signal<string[]>([]);
  protected readonly error = signal<string | null>(null);
  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  protected readonly dirty = computed(
    () =>
      [...this.alwaysAsk()].sort().join() !== [...(this.policy()?.alwaysAsk ?? [])].sort().join(),
  );
  protected readonly rememberable = computed(() =>
    (this.policy()?.rememberable ?? []).map((r) => r.label.toLowerCase()).join(' and '),
  );

  constructor() {
    void this.load();
  }

  private async load(): Promise<void> {
    if (!this.session.can().changeApprovalPolicy) return;
    try {
      const [tools, policy] = await Promise.all([this.api.tools(), this.api.approvalPolicy()]);
      this.tools.set(tools.filter((t) => t.requiresApproval));
      this.policy.set(policy);
      this.alwaysAsk.set(policy.alwaysAsk);
    } catch (error) {
      this.error.set(`Could not load the approval settings: ${messageOf(error)}`);
    }
  }

  protected isRememberable(tool: string): boolean {
    return (this.policy()?.rememberable ?? []).some((r) => r.tool === tool);
  }

  protected toggle(tool: string, on: boolean): void {
    this.saved.set(false);
    this.alwaysAsk.update((list) =>
      on ? [...new Set([...list, tool])] : list.filter((t) => t !== tool),
    );
  }

  protected async save(): Promise<void> {
    this.saving.set(true);
    this.error.set(null);
    try {
      const policy = await this.api.setApprovalPolicy(this.alwaysAsk());
      this.policy.set(policy);
      this.alwaysAsk.set(policy.alwaysAsk);
      this.saved.set(true);
    } catch (error) {
      this.error.set(`Not saved: ${messageOf(error)}`);
    } finally {
      this.saving.set(false);
    }
  }
}
