import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { SessionService } from '../../core/session.service';
import { Icon } from '../../ui/icon';
import {
  PRIORITIES,
  TRANSITIONS,
  UNRESOLVED,
  shortDate,
  slaState,
  ticketSegments,
  words,
  type TicketStatus,
} from './entities';
import { EntityPanelService, type TicketEvent } from './entity-panel.service';
import { Pill } from './pill';

/**
 * The ticket panel: fields, SLA countdown, comments (internal ones marked; customers never receive
 * them), history, and the actions the person may take (Assign, Status, Priority, Comment, Resolve: from
 * `me.can` and the tools their GET /api/tools lists). Each action is their own decision: it runs the MCP
 * tool through POST /api/tools/… at once and is recorded in the conversation.
 */
@Component({
  selector: 'msi-ticket-panel',
  imports: [Icon, Pill],
  template: `
    @let d = service.ticket();
    <aside
      class="entity-panel"
      aria-labelledby="ticket-title"
      data-testid="ticket-panel"
      [attr.data-ticket]="d?.ticket?.number ?? number()"
      [attr.aria-busy]="!d"
    >
      <header>
        <div>
          <p class="ticket-number">{{ number() }}</p>
          <h2 id="ticket-title" tabindex="-1" #heading>
            {{ d?.ticket?.title ?? 'Loading the ticket…' }}
          </h2>
        </div>
        <button type="button" class="icon-button" aria-label="Close ticket" (click)="close()">
          <msi-icon name="close" />
        </button>
      </header>
      @if (service.error(); as error) {
        <p role="alert" class="error-text">{{ error }}</p>
      } @else if (d) {
        @let t = d.ticket;
        <div class="pills">
          <msi-pill column="status" [value]="t.status" />
          <msi-pill column="priority" [value]="t.priority" />
          <span class="sla" [attr.data-tone]="sla().tone" data-testid="sla">{{ sla().text }}</span>
        </div>
        <dl class="fields">
          <dt>Organization</dt>
          <dd>
            <button type="button" class="link" (click)="service.openOrganization(t.organization)">
              {{ t.organizationName }}
            </button>
          </dd>
          <dt>Reporter</dt>
          <dd>
            <button
              type="button"
              class="link"
              (click)="service.openOrganization(t.organization, t.reporter)"
            >
              {{ t.reporter }}
            </button>
          </dd>
          <dt>Assignee</dt>
          <dd data-testid="assignee">{{ t.assignee ?? 'Unassigned' }}</dd>
          <dt>Category</dt>
          <dd>{{ words(t.category) }} · {{ words(t.product) }}</dd>
          <dt>Created</dt>
          <dd class="nowrap">{{ date(t.createdAt) }}</dd>
          <dt>Updated</dt>
          <dd class="nowrap">{{ date(t.updatedAt) }}</dd>
          @if (t.resolvedAt) {
            <dt>Resolved</dt>
            <dd class="nowrap">{{ date(t.resolvedAt) }}</dd>
          }
        </dl>
        <p class="description">
          @for (part of segments(t.description); track $index) {
            @if (part.ticket) {
              <button
                type="button"
                class="entity ticket-ref"
                [textContent]="part.text"
                (click)="service.openTicket(part.ticket)"
              ></button>
            } @else {
              <span [textContent]="part.text"></span>
            }
          }
        </p>
        @if (t.resolution) {
          <p class="resolution"><strong>Resolution:</strong> {{ t.resolution }}</p>
        }

        <!-- Copilot actions (Summarize, Draft reply, Similar tickets) go in this area. -->
        <section class="copilot-actions" aria-label="Copilot" data-slot="copilot-actions">
          <ng-content select="[copilotActions]" />
        </section>

        @if (service.notice(); as notice) {
          <p class="notice ok" role="status" data-testid="panel-notice">{{ notice }}</p>
        }
        @if (service.actionError(); as error) {
          <p class="error-text" role="alert" data-testid="panel-error">{{ error }}</p>
        }

        @if (mayAssign() || mayWork()) {
          <section class="actions" aria-label="Actions">
            @if (mayAssign()) {
              <form class="row" (submit)="assign($event, assigneeBox.value)">
                <label for="assignee-input">Assign to</label>
                <input
                  #assigneeBox
                  id="assignee-input"
                  list="staff-names"
                  autocomplete="off"
                  placeholder="username"
                  [value]="t.assignee ?? ''"
                />
                <datalist id="staff-names">
                  @for (name of staff(); track name) {
                    <option [value]="name"></option>
                  }
                </datalist>
                <button type="submit" [disabled]="!!service.busy()">Assign</button>
              </form>
              <div class="row quick">
                @if (t.assignee !== me()) {
                  <button
                    type="button"
                    class="ghost small"
                    [disabled]="!!service.busy()"
                    (click)="assignTo(me())"
                  >
                    Assign to me
                  </button>
                }
                @if (t.assignee) {
                  <button
                    type="button"
                    class="ghost small"
                    [disabled]="!!service.busy()"
                    (click)="assignTo(null)"
                  >
                    Unassign
                  </button>
                }
              </div>
            }
            @if (mayWork()) {
              <div class="row">
                <label for="status-select">Status</label>
                <select
                  id="status-select"
                  [disabled]="!!service.busy() || !transitions().length"
                  (change)="setField('status', $any($event.target))"
                >
                  <option [value]="t.status" selected>{{ words(t.status) }}</option>
                  @for (s of transitions(); track s) {
                    <option [value]="s">{{ words(s) }}</option>
                  }
                </select>
              </div>
              <div class="row">
                <label for="priority-select">Priority</label>
                <select
                  id="priority-select"
                  [disabled]="!!service.busy() || t.status === 'closed'"
                  (change)="setField('priority', $any($event.target))"
                >
                  @for (p of priorities; track p) {
                    <option [value]="p" [selected]="p === t.priority">{{ words(p) }}</option>
                  }
                </select>
              </div>
            }
          </section>
        }

        @if (mayComment()) {
          <form class="comment-form" (submit)="comment($event)" aria-label="Add a comment">
            <label for="comment-box">Comment</label>
            <textarea
              id="comment-box"
              rows="3"
              data-testid="comment-box"
              [placeholder]="
                service.commentInternal()
                  ? 'Internal note for support staff'
                  : 'Reply to the customer'
              "
              [value]="service.commentDraft()"
              (input)="service.commentDraft.set($any($event.target).value)"
            ></textarea>
            <div class="row">
              @if (mayWork()) {
                <label class="check">
                  <input
                    type="checkbox"
                    [checked]="service.commentInternal()"
                    (change)="service.commentInternal.set($any($event.target).checked)"
                  />
                  Internal (staff only)
                </label>
              }
              <button
                type="submit"
                class="primary"
                [disabled]="!service.commentDraft().trim() || !!service.busy()"
              >
                {{ service.commentInternal() ? 'Add internal note' : 'Send reply' }}
              </button>
            </div>
          </form>
        }

        @if (mayResolve()) {
          <details
            class="resolve"
            [open]="resolving()"
            (toggle)="resolving.set($any($event.target).open)"
          >
            <summary>Resolve…</summary>
            <form (submit)="resolve($event, resolutionBox)">
              <label for="resolution-box">Resolution</label>
              <textarea id="resolution-box" rows="2" #resolutionBox></textarea>
              <button type="submit" class="primary" [disabled]="!!service.busy()">Resolve</button>
            </form>
          </details>
        }

        <section aria-labelledby="comments-title">
          <h3 id="comments-title">Comments ({{ d.comments.length }})</h3>
          @for (c of d.comments; track c.id) {
            <article class="comment" [class.internal]="c.internal" data-testid="comment">
              <p class="meta">
                <strong>{{ c.author }}</strong>
                <span class="nowrap muted">{{ date(c.createdAt) }}</span>
                @if (c.internal) {
                  <span class="badge warn">Internal</span>
                }
              </p>
              <p class="body">
                @for (part of segments(c.body); track $index) {
                  @if (part.ticket) {
                    <button
                      type="button"
                      class="entity ticket-ref"
                      [textContent]="part.text"
                      (click)="service.openTicket(part.ticket)"
                    ></button>
                  } @else {
                    <span [textContent]="part.text"></span>
                  }
                }
              </p>
            </article>
          } @empty {
            <p class="muted">No comments yet.</p>
          }
        </section>
        <section aria-labelledby="history-title">
          <h3 id="history-title">History</h3>
          <ol class="history">
            @for (e of d.history; track $index) {
              <li>
                <span class="nowrap muted">{{ date(e.at) }}</span>&ensp;<strong>{{
                  e.actor
                }}</strong>
                {{ describe(e) }}
              </li>
            }
          </ol>
        </section>
      } @else {
        <p class="muted" role="status">Loading the ticket…</p>
      }
    </aside>
  `,
  styleUrl: './ticket-panel.css',
  host: { '(keydown.escape)': 'close()' },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TicketPanel {
  protected readonly service = inject(EntityPanelService);
  private readonly injector = inject(Injector);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  private opener: HTMLElement | null = null;
  private readonly now = signal(Date.now());

  protected readonly priorities = PRIORITIES;
  protected readonly words = words;
  protected readonly segments = ticketSegments;
  protected readonly resolving = signal(false);

  protected readonly number = computed(() => {
    const p = this.service.panel();
    return p?.kind === 'ticket' ? p.number : '';
  });
  private readonly session = inject(SessionService);
  protected readonly me = computed(() => this.session.me()?.username ?? '');
  protected readonly sla = computed(() => {
    const t = this.service.ticket()?.ticket;
    return t ? slaState(t, this.now()) : { tone: 'muted' as const, text: '' };
  });
  protected readonly transitions = computed(() => {
    const status = this.service.ticket()?.ticket.status as TicketStatus | undefined;
    return status ? (TRANSITIONS[status] ?? []) : [];
  });
  protected readonly mayAssign = computed(
    () =>
      this.service.can().assignTickets &&
      this.service.hasTool()('update_ticket') &&
      this.service.ticket()?.ticket.status !== 'closed',
  );
  protected readonly mayWork = computed(
    () => this.service.can().workTickets && this.service.hasTool()('update_ticket'),
  );
  protected readonly mayComment = computed(
    () =>
      this.service.hasTool()('add_comment') && this.service.ticket()?.ticket.status !== 'closed',
  );
  protected readonly mayResolve = computed(
    () =>
      this.service.can().workTickets &&
      this.service.hasTool()('resolve_ticket') &&
      UNRESOLVED.includes(this.service.ticket()?.ticket.status ?? ''),
  );
  /** Usernames to suggest for Assign: the person, and staff already on this ticket. */
  protected readonly staff = computed(() => {
    const d = this.service.ticket();
    const names = new Set<string>([this.me()]);
    if (d?.ticket.assignee) names.add(d.ticket.assignee);
    for (const e of d?.history ?? []) {
      for (const v of [e.before?.['assignee'], e.after?.['assignee']])
        if (typeof v === 'string') names.add(v);
    }
    for (const c of d?.comments ?? []) if (c.internal) names.add(c.author);
    names.delete('');
    return [...names].sort();
  });

  constructor() {
    const timer = setInterval(() => this.now.set(Date.now()), 30_000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
    effect(() => {
      if (this.service.panel()?.kind === 'ticket' && !this.opener)
        this.opener = document.activeElement as HTMLElement | null;
    });
    // Focus moves to the ticket once it shows; the click-to-panel time is measured to that paint.
    effect(() => {
      const d = this.service.ticket();
      if (!d || d.ticket.number !== this.number()) return;
      const openedAt = this.service.openedAt;
      afterNextRender(
        () => {
          this.heading()?.nativeElement.focus();
          (globalThis.requestAnimationFrame ?? setTimeout)(() => {
            if (openedAt && openedAt === this.service.openedAt) {
              performance.measure('msi:click-to-panel', {
                start: openedAt,
                end: performance.now(),
              });
              this.service.openedAt = 0;
            }
          });
        },
        { injector: this.injector },
      );
    });
  }

  protected date(iso: string): string {
    return shortDate(iso);
  }

  protected describe(e: TicketEvent): string {
    const after = e.after ?? {};
    const before = e.before ?? {};
    const action = words(e.action).toLowerCase();
    if (e.action === 'commented') return after['internal'] ? 'added an internal note' : 'commented';
    if (!e.before) return action;
    const changes = Object.keys(after)
      .filter((k) => !['body', 'description', 'title', 'internal', 'id'].includes(k))
      .map((k) => `${k} ${fmt(before[k])} → ${fmt(after[k])}`);
    return changes.length ? `${action}: ${changes.join(', ')}` : action;
  }

  protected close(): void {
    this.service.close();
    this.opener?.focus();
    this.opener = null;
  }

  protected assign(event: Event, username: string): void {
    event.preventDefault();
    const name = username.trim();
    void this.assignTo(name || null);
  }

  protected assignTo(username: string | null): Promise<boolean> {
    return this.service.act(
      'update_ticket',
      { assignee: username },
      username ? `Assigned to ${username}.` : 'Unassigned.',
    );
  }

  protected setField(field: 'status' | 'priority', select: HTMLSelectElement): void {
    const value = select.value;
    const t = this.service.ticket()?.ticket;
    if (!t || t[field] === value) return;
    void this.service
      .act('update_ticket', { [field]: value }, `${words(field)} set to ${words(value)}.`)
      .then((done) => {
        // Refused: the select shows the ticket's value again, not the one that was not set.
        if (!done) select.value = t[field];
      });
  }

  protected async comment(event: Event): Promise<void> {
    event.preventDefault();
    const body = this.service.commentDraft().trim();
    if (!body) return;
    const internal = this.mayWork() && this.service.commentInternal();
    const ok = await this.service.act(
      'add_comment',
      { body, internal },
      internal ? 'Internal note added.' : 'Reply sent.',
    );
    if (ok) this.service.commentDraft.set('');
  }

  protected async resolve(event: Event, box: HTMLTextAreaElement): Promise<void> {
    event.preventDefault();
    const resolution = box.value.trim();
    if (!resolution) {
      this.service.actionError.set('Write what resolved it first.');
      box.focus();
      return;
    }
    if (await this.service.act('resolve_ticket', { resolution }, 'Resolved.'))
      this.resolving.set(false);
  }
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  return typeof v === 'string' ? words(v) : JSON.stringify(v);
}
