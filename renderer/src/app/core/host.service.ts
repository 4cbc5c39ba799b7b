import { InjectionToken, inject } from '@angular/core';
import {
  HOST_BRIDGE_KEY,
  type AppInfo,
  type ConnectionCheck,
  type HostArgs,
  type HostBridge,
  type HostBridgeKey,
  type HostMethod,
  type HostResult,
  type HostService,
  type LogLine,
  type ServiceName,
  type ServiceStatus,
  type Settings,
  type SettingsUpdate,
} from '@msi/contracts/host';
import { ConfigService, messageOf } from './config';

/** HostService plus live status, as the renderer uses it. */
export interface HostClient extends HostService {
  readonly kind: 'electron' | 'http' | 'none';
  /** Calls `listener` with every status change (and once at the start); returns the unsubscribe function. */
  watchStatus(
    listener: (status: ServiceStatus[]) => void,
    onError: (message: string) => void,
  ): () => void;
}

/** The preload bridge under Electron (`window[HOST_BRIDGE_KEY]`), when this window has one. */
export function electronBridge(): HostBridge | undefined {
  if (typeof window === 'undefined') return undefined;
  return (window as unknown as Partial<Record<HostBridgeKey, HostBridge>>)[HOST_BRIDGE_KEY];
}

/** The desktop shell's functions: the Electron bridge when present, else the host's HTTP endpoints. */
export const HOST = new InjectionToken<HostClient>('HostService', {
  providedIn: 'root',
  factory: () => {
    const bridge = electronBridge();
    if (bridge) return new ElectronHost(bridge);
    const config = inject(ConfigService);
    const host = config.loaded ? config.config.host : undefined;
    return host ? new HttpHost(host.url, host.secret) : new NoHost();
  },
});

export class HostError extends Error {}

abstract class BaseHost implements HostClient {
  abstract readonly kind: HostClient['kind'];
  protected abstract call<M extends HostMethod>(
    method: M,
    ...args: HostArgs<M>
  ): Promise<HostResult<M>>;

  getStatus(): Promise<ServiceStatus[]> {
    return this.call('getStatus');
  }
  restartService(name: ServiceName): Promise<void> {
    return this.call('restartService', name);
  }
  getLogs(name: ServiceName, lines?: number): Promise<LogLine[]> {
    return lines === undefined ? this.call('getLogs', name) : this.call('getLogs', name, lines);
  }
  getSettings(): Promise<Settings> {
    return this.call('getSettings');
  }
  updateSettings(update: SettingsUpdate): Promise<Settings> {
    return this.call('updateSettings', update);
  }
  testConnection(target?: { issuer: string; apiUrl: string }): Promise<ConnectionCheck[]> {
    return target ? this.call('testConnection', target) : this.call('testConnection');
  }
  appInfo(): Promise<AppInfo> {
    return this.call('appInfo');
  }

  watchStatus(
    listener: (status: ServiceStatus[]) => void,
    onError: (message: string) => void,
  ): () => void {
    return poll(() => this.getStatus(), listener, onError);
  }
}

/** Polls every 3 s (used when no push channel exists). */
function poll(
  load: () => Promise<ServiceStatus[]>,
  listener: (status: ServiceStatus[]) => void,
  onError: (message: string) => void,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () =>
    load()
      .then((status) => !stopped && listener(status))
      .catch((error) => !stopped && onError(messageOf(error)))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, 3000);
      });
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export class ElectronHost extends BaseHost {
  readonly kind = 'electron';
  constructor(private readonly bridge: HostBridge) {
    super();
  }
  protected async call<M extends HostMethod>(
    method: M,
    ...args: HostArgs<M>
  ): Promise<HostResult<M>> {
    try {
      return await this.bridge.invoke(method, ...args);
    } catch (error) {
      throw new HostError(`The desktop shell could not ${method}: ${messageOf(error)}`);
    }
  }
  override watchStatus(
    listener: (status: ServiceStatus[]) => void,
    onError: (message: string) => void,
  ): () => void {
    this.getStatus().then(listener, (error) => onError(messageOf(error)));
    return this.bridge.onStatus(listener);
  }
}

/** Browser mode: `POST {url}/host/{method}` with the per-run secret; status over SSE. */
export class HttpHost extends BaseHost {
  readonly kind = 'http';
  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {
    super();
  }

  protected async call<M extends HostMethod>(
    method: M,
    ...args: HostArgs<M>
  ): Promise<HostResult<M>> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}/host/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Host-Secret': this.secret },
        body: JSON.stringify({ args }),
      });
    } catch (error) {
      throw new HostError(`Cannot reach the desktop host at ${this.url} (${messageOf(error)}).`);
    }
    const body = (await response.json().catch(() => null)) as {
      result?: unknown;
      message?: string;
    } | null;
    if (!response.ok) {
      throw new HostError(
        body?.message ?? `The desktop host answered HTTP ${response.status} to ${method}.`,
      );
    }
    return body?.result as HostResult<M>;
  }

  override watchStatus(
    listener: (status: ServiceStatus[]) => void,
    onError: (message: string) => void,
  ): () => void {
    if (typeof EventSource === 'undefined') return super.watchStatus(listener, onError);
    this.getStatus().then(listener, (error) => onError(messageOf(error)));
    const source = new EventSource(
      `${this.url.replace(/\/+$/, '')}/host/events?secret=${encodeURIComponent(this.secret)}`,
    );
    source.addEventListener('status', (event) => {
      try {
        listener(JSON.parse((event as MessageEvent<string>).data) as ServiceStatus[]);
      } catch {
        onError('The desktop host sent an unreadable status event.');
      }
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED)
        onError('Lost the live status connection to the desktop host.');
    };
    return () => source.close();
  }
}

/** Neither Electron nor a host entry in /config.json (e.g. a remote deployment): says so on every call. */
export class NoHost extends BaseHost {
  readonly kind = 'none';
  protected call<M extends HostMethod>(method: M, ..._args: HostArgs<M>): Promise<HostResult<M>> {
    return Promise.reject(
      new HostError(
        `The desktop shell is not available in this window, so "${method}" cannot run. Open the app from the desktop shell or "npm run stack".`,
      ),
    );
  }
  override watchStatus(
    _listener: (status: ServiceStatus[]) => void,
    onError: (message: string) => void,
  ): () => void {
    this.getStatus().catch((error) => onError(messageOf(error)));
    return () => undefined;
  }
}
