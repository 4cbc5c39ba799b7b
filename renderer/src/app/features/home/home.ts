import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  inject,
  output,
  signal,
} from '@angular/core';
import type { Home as HomeData, HomeOrganization, HomeTicket } from '@msi/contracts/api';
import { ApiService } from '../../core/api.service';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';

/** Words for the values the ticketing and organizations servers answer. */
export const STATUS_WORDS: Record<string, string> = {
  open: 'Open',
  in_progress: 'In progress',
  waiting_on_customer: 'Waiting on customer',
  resolved: 'Resolved',
  closed: 'Closed',
  live: 'Operational',
  degraded: 'Degraded',
  down: 'Outage',
};

/** "SLA passed 3 h ago" / "SLA due in 40 min" for an unresolved ticket; "" once it is resolved. */
export function slaText(t: HomeTicket, now = Date.now()): string {
  if (t.status === 'resolved' || t.status === 'closed') return '';
  const ms = Date.parse(t.slaDueAt) - now;
  const span = (abs: number) => {
    const min = Math.round(abs / 60_000);
    if (min < 60) return `${Math.max(1, min)} min`;
    const h = Math.round(min / 60);
    return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
  };
  return ms < 0 ? `SLA passed ${span(-ms)} ago` : `SLA due in ${span(ms)}`;
}

/** Due within two hours, or already past: shown as at risk. */
export function atRisk(t: HomeTicket, now = Date.now()): boolean {
  return (
    t.status !== 'resolved' && t.status !== 'closed' && Date.parse(t.slaDueAt) - now < 2 * 3600_000
  );
}

export function productWords(product: string): string {
  const w = product.replace(/_/g, ' ');
  return w.charAt(0).toUpperCase() + w.slice(1);
}

interface TicketSection {
  id: string;
  title: string;
  empty: string;
  total: number;
  tickets: HomeTicket[];
}

/**
 * The start page of a new chat, per role (GET /api/home, the person's own rights): an agent's queue, a
 * supervisor's unassigned urgent tickets and today's SLA breaches, a customer's tickets and their
 * organization's status; suggestions that only name what this person can see.
 */
@Component({
  selector: 'msi-home',
  template: `
    <section class="home" aria-labelledby="home-title" data-testid="home">
      <h1 id="home-title">{{ greeting() }}</h1>
      <p class="muted">{{ subtitle() }}</p>
      @if (error(); as e) {
        <p role="alert" class="error-text">
          Could not load your overview: {{ e }}
          <button type="button" class="ghost small" (click)="load()">Try again</button>
        </p>
      }
      @if (home(); as h) {
        @if (h.suggestions.length) {
          <div class="suggestions" role="group" aria-label="Suggestions">
            @for (s of h.suggestions; track s) {
              <button type="button" class="suggestion" (click)="suggest.emit(s)">{{ s }}</button>
            }
          </div>
        }
        @for (u of h.unavailable; track u.server) {
          <p class="muted small" role="status">{{ u.message }}</p>
        }
        <div class="home-grid">
          @for (s of sections(); track s.id) {
            <section
              class="card home-card"
              [attr.aria-labelledby]="'home-' + s.id"
              [attr.data-section]="s.id"
            >
              <h2 [id]="'home-' + s.id">
                {{ s.title }}
                <span class="count" [attr.aria-label]="s.total + ' in all'">{{ s.total }}</span>
              </h2>
              @if (s.tickets.length) {
                <ul class="ticket-rows">
                  @for (t of s.tickets; track t.number) {
                    <li>
                      <button
                        type="button"
                        class="ticket-row"
                        data-testid="home-ticket"
                        (click)="ask.emit('Show ticket ' + t.number)"
                      >
                        <span class="ticket-number">{{ t.number }}</span>
                        <span class="ticket-title">{{ t.title }}</span>
                        <span class="pill" [attr.data-priority]="t.priority">{{ t.priority }}</span>
                        <span class="ticket-foot">
                          <span class="ticket-meta muted">
                            @if (s.id !== 'mine') {
                              {{ t.organizationName }} ·
                            }
                            {{ statusWords[t.status] }}
                          </span>
                          @if (sla(t); as text) {
                            <span class="sla" [class.risk]="risk(t)">{{ text }}</span>
                          }
                        </span>
                      </button>
                    </li>
                  }
                </ul>
                @if (s.total > s.tickets.length) {
                  <p class="muted small">{{ s.total - s.tickets.length }} more not shown.</p>
                }
              } @else {
                <p class="muted small">{{ s.empty }}</p>
              }
            </section>
          }
          @for (o of h.organizations ?? []; track o.slug) {
            <section
              class="card home-card"
              [attr.aria-labelledby]="'org-' + o.slug"
              data-section="organization"
              data-testid="home-organization"
            >
              <h2 [id]="'org-' + o.slug">
                {{ o.name }}
                <span class="pill" [attr.data-state]="o.status">{{ statusWords[o.status] }}</span>
              </h2>
              <ul class="deployments" [attr.aria-label]="'Products of ' + o.name">
                @for (d of o.deployments; track d.product) {
                  <li>
                    <span>{{ product(d.product) }}</span>
                    <span class="muted small">{{ d.version }}</span>
                    <span class="pill" [attr.data-state]="d.status">{{
                      statusWords[d.status]
                    }}</span>
                  </li>
                }
              </ul>
              <button type="button" class="ghost small" (click)="ask.emit(statusQuestion(o))">
                Ask about {{ o.name }}
              </button>
            </section>
          }
        </div>
      } @else if (!error()) {
        <p class="muted" role="status">Loading your overview…</p>
      }
    </section>
  `,
  styleUrl: './home.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  private readonly api = inject(ApiService);
  private readonly session = inject(SessionService);
  /** Send this now (a ticket row, "Ask about"). */
  readonly ask = output<string>();
  /** Put this in the composer (a suggestion). */
  readonly suggest = output<string>();

  protected readonly home = signal<HomeData | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly statusWords = STATUS_WORDS;
  protected readonly product = productWords;
  private readonly now = signal(Date.now());
  private seq = 0;

  protected readonly greeting = computed(() => {
    const first = this.session.me()?.name?.split(' ')[0];
    return first ? `Hello, ${first}` : 'How can I help?';
  });
  protected readonly subtitle = computed(() => {
    switch (this.home()?.role ?? this.session.role()) {
      case 'customer':
        return 'Your tickets and your organization at a glance. Ask about them, or the product documentation.';
      case 'supervisor':
      case 'admin':
        return 'What needs someone now: urgent tickets nobody has, and SLAs that passed today.';
      case 'agent':
        return 'Your queue, the tickets closest to their SLA first.';
      default:
        return 'Ask about tickets, customer organizations and their users, or the product documentation.';
    }
  });
  protected readonly sections = computed<TicketSection[]>(() => {
    const h = this.home();
    if (!h) return [];
    const out: TicketSection[] = [];
    const add = (id: string, title: string, empty: string, l: HomeData['queue']) => {
      if (l) out.push({ id, title, empty, total: l.total, tickets: l.tickets });
    };
    // A supervisor's first business is what nobody has; an agent's is their own queue.
    add('unassigned', 'Unassigned urgent', 'Every urgent ticket has someone.', h.unassignedUrgent);
    add('breaches', 'SLA breached today', 'No SLA has passed today.', h.breachesToday);
    add('queue', 'Your queue', 'Nothing is assigned to you. Well done.', h.queue);
    add('mine', 'Your tickets', 'You have not reported any ticket.', h.myTickets);
    return out;
  });

  constructor() {
    void this.load();
    const tick = setInterval(() => this.now.set(Date.now()), 60_000);
    inject(DestroyRef).onDestroy(() => clearInterval(tick));
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    this.error.set(null);
    try {
      const home = await this.api.home();
      if (seq === this.seq) this.home.set(home);
    } catch (error) {
      if (seq === this.seq) this.error.set(messageOf(error));
    }
  }

  protected sla(t: HomeTicket): string {
    return slaText(t, this.now());
  }
  protected risk(t: HomeTicket): boolean {
    return atRisk(t, this.now());
  }
  protected statusQuestion(o: HomeOrganization): string {
    return `What is the status of ${o.name}?`;
  }
}
