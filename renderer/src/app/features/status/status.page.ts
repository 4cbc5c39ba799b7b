import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  inject,
  signal,
} from '@angular/core';
import type { ServiceName, ServiceStatus } from '@msi/contracts/host';
import { messageOf } from '../../core/config';
import { SessionService } from '../../core/session.service';
import {
  PLAIN_SERVICES,
  PLAIN_STATES,
  SERVICE_LABELS,
  STATE_LABELS,
  StatusService,
} from '../../core/status.service';
import { ParsedLogLine, parseLogLine } from './log-line';

/** One sentence for everyone: all is well, or what does not work. */
export function statusSentence(services: ServiceStatus[]): string {
  const down = services.filter((s) => s.state !== 'ready');
  if (!services.length) return 'This window uses a remote assistant; its services are run for you.';
  if (!down.length) return 'Everything is working.';
  const names = down.map((s) => PLAIN_SERVICES[s.name].toLowerCase());
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  const starting = down.every((s) => s.state === 'starting' || s.state === 'restarting');
  return starting
    ? `Starting up: ${list} will be ready in a moment.`
    : `Some things do not work right now: ${list}. The app keeps trying; ask an administrator if it lasts.`;
}

/**
 * Status in plain words for everyone (what works, what does not); for admins (`can.seeDiagnostics`)
 * the console under Diagnostics: each local service's state, port, pid, uptime, restarts, Restart and
 * its recent log lines.
 */
@Component({
  selector: 'msi-status-page',
  template: `
    <div class="page-content">
      <h1>Service status</h1>
      @if (status.error(); as e) {
        <p role="alert" class="error-text">{{ e }}</p>
      }
      @if (status.loaded()) {
        <p class="status-sentence" data-testid="status-sentence" role="status">{{ sentence() }}</p>
      }
      @if (status.services().length) {
        <ul class="plain-status" aria-label="What works">
          @for (s of status.services(); track s.name) {
            <li [attr.data-state]="s.state" data-testid="plain-service">
              <span class="dot" aria-hidden="true"></span>
              <span>{{ plain[s.name] }}</span>
              <span class="muted">{{ plainStates[s.state] }}</span>
            </li>
          }
        </ul>
      }
      @if (diagnostics()) {
        <h2 class="diagnostics-title">Diagnostics</h2>
        <p class="muted small">
          The local services as processes: ports, pids, raw logs and restart.
        </p>
        @if (status.loaded() && !status.services().length) {
          <p class="muted">No local services run in this mode (remote endpoints are used).</p>
        }
        <ul class="services" aria-label="Services">
          @for (s of status.services(); track s.name) {
            <li
              class="card service"
              data-testid="service"
              [attr.data-service]="s.name"
              [attr.data-state]="s.state"
            >
              <div class="service-head">
                <h3>{{ labels[s.name] }}</h3>
                <span class="state" [attr.data-state]="s.state">{{ states[s.state] }}</span>
                <span class="spacer"></span>
                <button
                  type="button"
                  (click)="restart(s.name)"
                  [disabled]="restarting() === s.name"
                  [attr.aria-label]="'Restart ' + s.name"
                >
                  {{ restarting() === s.name ? 'Restarting…' : 'Restart' }}
                </button>
              </div>
              <dl class="service-facts">
                <div>
                  <dt>Port</dt>
                  <dd>{{ s.port ?? '—' }}</dd>
                </div>
                <div>
                  <dt>Uptime</dt>
                  <dd>{{ uptime(s) }}</dd>
                </div>
                <div>
                  <dt>Restarts</dt>
                  <dd>{{ s.restarts }}</dd>
                </div>
                <div>
                  <dt>PID</dt>
                  <dd>{{ s.pid ?? '—' }}</dd>
                </div>
                @if (s.url) {
                  <div class="wide">
                    <dt>URL</dt>
                    <dd>{{ s.url }}</dd>
                  </div>
                }
              </dl>
              @if (s.lastError) {
                <p class="error-text small">Last error: {{ s.lastError }}</p>
              }
              @if (actionError()[s.name]; as e) {
                <p role="alert" class="error-text small">{{ e }}</p>
              }
              <button
                type="button"
                class="ghost small"
                [attr.aria-expanded]="!!logs()[s.name]"
                (click)="toggleLogs(s.name)"
              >
                {{ logs()[s.name] ? 'Hide log' : 'Show recent log lines' }}
              </button>
              @if (logs()[s.name]; as lines) {
                <ol class="log" tabindex="0" [attr.aria-label]="s.name + ' log'" data-testid="log">
                  @for (l of lines; track $index) {
                    <li [attr.data-level]="l.level" [class.error]="l.isError">
                      <time>{{ l.time }}</time>
                      <span class="level">{{ l.level }}</span>
                      <span class="message">{{ l.message }}</span>
                    </li>
                  } @empty {
                    <li class="muted">No log lines yet.</li>
                  }
                </ol>
              }
            </li>
          }
        </ul>
      }
    </div>
  `,
  styleUrl: './status.page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class StatusPage {
  protected readonly status = inject(StatusService);
  private readonly session = inject(SessionService);
  protected readonly plain = PLAIN_SERVICES;
  protected readonly plainStates = PLAIN_STATES;
  protected readonly sentence = computed(() => statusSentence(this.status.services()));
  /** The console is for admins only (and only once the API said so). */
  protected readonly diagnostics = computed(() => this.session.can().seeDiagnostics);
  protected readonly labels = SERVICE_LABELS;
  protected readonly states = STATE_LABELS;
  protected readonly restarting = signal<ServiceName | null>(null);
  protected readonly logs = signal<Partial<Record<ServiceName, ParsedLogLine[]>>>({});
  protected readonly actionError = signal<Partial<Record<ServiceName, string>>>({});

  /** Ticks once a second so uptimes count up between status events. */
  private readonly now = signal(Date.now());

  constructor() {
    const tick = setInterval(() => this.now.set(Date.now()), 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(tick));
    this.status.watch();
    if (this.status.host.kind === 'none')
      void this.status.host.getStatus().catch((error) => this.status.error.set(messageOf(error)));
  }

  protected async restart(name: ServiceName): Promise<void> {
    this.restarting.set(name);
    this.actionError.update((e) => ({ ...e, [name]: undefined }));
    try {
      await this.status.host.restartService(name);
      if (this.logs()[name]) await this.loadLogs(name);
    } catch (error) {
      this.actionError.update((e) => ({ ...e, [name]: `Restart failed: ${messageOf(error)}` }));
    } finally {
      this.restarting.set(null);
    }
  }

  protected async toggleLogs(name: ServiceName): Promise<void> {
    if (this.logs()[name]) this.logs.update((l) => ({ ...l, [name]: undefined }));
    else await this.loadLogs(name);
  }

  private async loadLogs(name: ServiceName): Promise<void> {
    try {
      const lines = await this.status.host.getLogs(name, 200);
      this.logs.update((l) => ({ ...l, [name]: lines.map(parseLogLine) }));
    } catch (error) {
      this.actionError.update((e) => ({
        ...e,
        [name]: `Could not read the log: ${messageOf(error)}`,
      }));
    }
  }

  protected uptime(service: ServiceStatus): string {
    if (service.uptimeMs === undefined || service.state !== 'ready') return '—';
    const ms = service.uptimeMs + Math.max(0, this.now() - this.status.receivedAt());
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }
}
