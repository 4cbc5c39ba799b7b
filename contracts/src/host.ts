/**
 * The desktop shell's functions as the renderer sees them: one `HostService` interface, served by the
 * preload bridge under Electron and by the host's HTTP endpoints in the browser. Types and a few
 * constants, no imports of runtime code: the renderer bundles it and the sandboxed preload checks its
 * own copies of the constants against these types.
 *
 * HTTP transport (browser mode): `POST {hostUrl}/host/{method}` with the JSON body `{ "args": [...] }`
 * and the header `X-Host-Secret: <per-run secret>`; answers `{ "result": … }` or an `{error, message}`
 * with 4xx/5xx. Status events: `GET {hostUrl}/host/events?secret=…` (Server-Sent Events, event name
 * `status`, data `ServiceStatus[]`). A request without the right secret gets 401.
 * The renderer learns hostUrl and the secret from `/config.json` (`RendererConfig.host`).
 */

import type { ServiceName } from './endpoints.js';
import type { Mode, Settings, SettingsUpdate } from './settings.js';

export type { ServiceName } from './endpoints.js';
export type { Mode, Settings, SettingsUpdate } from './settings.js';

/** `not_responding`: the process runs but its health check timed out (hung, e.g. stopped); back to `ready`
 *  when it answers again. */
export const SERVICE_STATES = [
  'stopped',
  'starting',
  'ready',
  'not_responding',
  'restarting',
  'failed',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceState;
  url?: string;
  port?: number;
  pid?: number;
  /** ms since the current process became ready. */
  uptimeMs?: number;
  restarts: number;
  /** Why it failed or last exited. */
  lastError?: string;
}

export interface LogLine {
  service: ServiceName;
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ConnectionCheck {
  endpoint: 'idp' | 'api';
  url: string;
  ok: boolean;
  /** What was checked and, when it failed, why (DNS, refused, timeout, HTTP status, bad document). */
  message: string;
  ms: number;
}

export interface AppInfo {
  name: string;
  version: string;
  shell: 'electron' | 'browser';
  dataDir: string;
  platform: string;
}

/** What `/config.json` tells the renderer. */
export interface RendererConfig {
  mode: Mode;
  issuer: string;
  clientId: string;
  apiUrl: string;
  scopes: string;
  /** Present in browser mode, served by the local host only. */
  host?: { url: string; secret: string };
}

export interface HostService {
  getStatus(): Promise<ServiceStatus[]>;
  restartService(name: ServiceName): Promise<void>;
  getLogs(name: ServiceName, lines?: number): Promise<LogLine[]>;
  getSettings(): Promise<Settings>;
  /** Applies the change (a mode change stops or starts the local stack) and returns the new settings. */
  updateSettings(update: SettingsUpdate): Promise<Settings>;
  /** Checks the IDP's discovery document and the API's health (the given endpoints, else the remote settings). */
  testConnection(target?: { issuer: string; apiUrl: string }): Promise<ConnectionCheck[]>;
  appInfo(): Promise<AppInfo>;
}

/** The methods as a typed channel map: one IPC channel / HTTP route per method. */
export type HostMethod = keyof HostService;
export type HostArgs<M extends HostMethod> = Parameters<HostService[M]>;
export type HostResult<M extends HostMethod> = Awaited<ReturnType<HostService[M]>>;
export const HOST_METHODS = [
  'getStatus',
  'restartService',
  'getLogs',
  'getSettings',
  'updateSettings',
  'testConnection',
  'appInfo',
] as const satisfies readonly HostMethod[];

/** IPC: one `invoke` channel per method (`host:getStatus`, …) and the status push channel. */
export const INVOKE_PREFIX = 'host:';
export const STATUS_CHANNEL = 'host-event:status';
export type InvokeChannel = `${typeof INVOKE_PREFIX}${HostMethod}`;

/**
 * Under Electron the preload exposes this bridge as `window[HOST_BRIDGE_KEY]` (contextBridge). The
 * renderer turns it into a HostService with `invoke(method, ...args)`; `onStatus` returns an unsubscribe.
 */
export const HOST_BRIDGE_KEY = 'msiHost';
export type HostBridgeKey = typeof HOST_BRIDGE_KEY;
export interface HostBridge {
  invoke<M extends HostMethod>(method: M, ...args: HostArgs<M>): Promise<HostResult<M>>;
  onStatus(listener: (status: ServiceStatus[]) => void): () => void;
}
