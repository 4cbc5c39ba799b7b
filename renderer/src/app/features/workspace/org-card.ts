import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  viewChild,
} from '@angular/core';
import { Icon } from '../../ui/icon';
import { shortDate, words } from './entities';
import { EntityPanelService } from './entity-panel.service';
import { Pill } from './pill';

/**
 * An organization's card (get_organization): overall status, deployments with their status, version,
 * devices and last incident; members (get_organization_users) only where the person may see them, the
 * person that was clicked first and highlighted.
 */
@Component({
  selector: 'msi-org-card',
  imports: [Icon, Pill],
  template: `
    @let o = service.organization();
    <aside
      class="entity-panel"
      aria-labelledby="org-title"
      data-testid="org-card"
      [attr.data-org]="o?.slug ?? ref()"
    >
      <header>
        <div>
          <p class="ticket-number">{{ o?.slug ?? ref() }}</p>
          <h2 id="org-title" tabindex="-1" #heading>
            {{ o?.name ?? 'Loading the organization…' }}
          </h2>
        </div>
        <button type="button" class="icon-button" aria-label="Close organization" (click)="close()">
          <msi-icon name="close" />
        </button>
      </header>
      @if (service.error(); as error) {
        <p role="alert" class="error-text">{{ error }}</p>
      } @else if (o) {
        <div class="pills">
          <msi-pill column="status" [value]="o.status" />
          <span class="muted">{{ words(o.type) }} · {{ o.region }} · {{ words(o.tier) }} tier</span>
        </div>
        <dl class="fields">
          @if (o.legacyName) {
            <dt>Formerly</dt>
            <dd>{{ o.legacyName }}</dd>
          }
          <dt>Aware service</dt>
          <dd>{{ o.awareService ?? 'None' }}</dd>
          <dt>Customer since</dt>
          <dd class="nowrap">{{ date(o.customerSince) }}</dd>
        </dl>
        <section aria-labelledby="deployments-title">
          <h3 id="deployments-title">Deployments ({{ o.deployments.length }})</h3>
          <ul class="deployments">
            @for (d of o.deployments; track d.product) {
              <li data-testid="deployment">
                <div class="row">
                  <strong>{{ words(d.product) }}</strong>
                  <msi-pill column="status" [value]="d.status" />
                  <span class="muted nowrap">v{{ d.version }}</span>
                  @if (d.deviceCount) {
                    <span class="muted nowrap">{{ d.deviceCount }} devices</span>
                  }
                </div>
                @if (d.lastIncident) {
                  <p class="incident muted">
                    <span class="nowrap">{{ d.lastIncidentAt ? date(d.lastIncidentAt) : '' }}</span>
                    {{ d.lastIncident }}
                  </p>
                }
              </li>
            }
          </ul>
        </section>
        @if (o.membersVisible) {
          <section aria-labelledby="members-title">
            <h3 id="members-title">Members ({{ service.membersTotal() }})</h3>
            @if (service.members(); as members) {
              <ul class="members">
                @for (m of sortedMembers(); track m.username) {
                  <li
                    data-testid="member"
                    [class.highlight]="m.username === person()"
                    [attr.aria-current]="m.username === person() ? 'true' : null"
                  >
                    <strong>{{ m.name }}</strong>
                    <span class="muted"> · {{ m.title }} · {{ m.username }}</span>
                    <p class="perms muted">{{ permissions(m.permissions) }}</p>
                  </li>
                }
              </ul>
              @if (members.length < service.membersTotal()) {
                <p class="muted">Showing {{ members.length }} of {{ service.membersTotal() }}.</p>
              }
            } @else {
              <p class="muted" role="status">Loading the members…</p>
            }
          </section>
        } @else {
          <p class="muted" data-testid="members-hidden">
            Members of this organization are not shown to you.
          </p>
        }
      } @else {
        <p class="muted" role="status">Loading the organization…</p>
      }
    </aside>
  `,
  styleUrls: ['./ticket-panel.css', './org-card.css'],
  host: { '(keydown.escape)': 'close()' },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OrgCard {
  protected readonly service = inject(EntityPanelService);
  private readonly injector = inject(Injector);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');
  private opener: HTMLElement | null = null;
  protected readonly words = words;

  protected readonly ref = computed(() => {
    const p = this.service.panel();
    return p?.kind === 'org' ? p.organization : '';
  });
  protected readonly person = computed(() => {
    const p = this.service.panel();
    return p?.kind === 'org' ? (p.person ?? null) : null;
  });
  /** The clicked person first. */
  protected readonly sortedMembers = computed(() => {
    const members = this.service.members() ?? [];
    const person = this.person();
    return person
      ? [...members].sort((a, b) => Number(b.username === person) - Number(a.username === person))
      : members;
  });

  constructor() {
    effect(() => {
      if (this.service.panel()?.kind === 'org' && !this.opener)
        this.opener = document.activeElement as HTMLElement | null;
    });
    effect(() => {
      if (!this.service.organization()) return;
      afterNextRender(() => this.heading()?.nativeElement.focus(), { injector: this.injector });
    });
  }

  protected date(iso: string): string {
    return shortDate(iso);
  }

  protected permissions(list: string[]): string {
    return list.map(words).join(', ') || 'No permissions';
  }

  protected close(): void {
    this.service.close();
    this.opener?.focus();
    this.opener = null;
  }
}
