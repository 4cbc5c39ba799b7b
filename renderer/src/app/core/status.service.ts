import { Injectable, computed, inject, signal } from '@angular/core';
import type { ServiceName, ServiceState, ServiceStatus } from '@msi/contracts/host';
import { HOST } from './host.service';

/** What a person calls each local service. */
export const SERVICE_LABELS: Record<ServiceName, string> = {
  idp: 'Identity provider',
  ticketing: 'Tickets (MCP)',
  organizations: 'Organizations (MCP)',
  chroma: 'Vector store (Chroma)',
  api: 'Assistant API',
};

/** What each service gives the person, in their words. */
export const PLAIN_SERVICES: Record<ServiceName, string> = {
  idp: 'Signing in',
  ticketing: 'Tickets',
  organizations: 'Customer organizations',
  chroma: 'Documentation search',
  api: 'The assistant',
};
export const PLAIN_STATES: Record<ServiceState, string> = {
  ready: 'Working',
  starting: 'Starting…',
  restarting: 'Restarting…',
  not_responding: 'Not answering right now',
  failed: 'Not working',
  stopped: 'Off',
};

/** A service state in words. */
export const STATE_LABELS: Record<ServiceState, string> = {
  stopped: 'stopped',
  starting: 'starting',
  ready: 'ready',
  not_responding: 'not responding',
  restarting: 'restarting',
  failed: 'failed',
};

/** Live service status from the desktop shell, shared by the header warning and the Status page. */
@Injectable({ providedIn: 'root' })
export class StatusService {
  readonly host = inject(HOST);
  readonly services = signal<ServiceStatus[]>([]);
  readonly error = signal<string | null>(null);
  readonly loaded = signal(false);
  /** When the last status arrived (uptimes are as of then). */
  readonly receivedAt = signal(0);
  /** Services that are not ready (failed, not responding, restarting, starting or stopped). */
  readonly degraded = computed(() =>
    this.services().filter((service) => service.state !== 'ready'),
  );
  private stop: (() => void) | null = null;

  /** Starts watching (once); safe to call from several places. */
  watch(): void {
    if (this.stop || this.host.kind === 'none') return;
    this.stop = this.host.watchStatus(
      (services) => {
        this.services.set(services);
        this.receivedAt.set(Date.now());
        this.loaded.set(true);
        this.error.set(null);
      },
      (message) => this.error.set(message),
    );
  }
}
