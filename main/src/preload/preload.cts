/**
 * The preload: one small typed bridge, `window.msiHost` (HostBridge in common/host-api.ts). Sandboxed,
 * so it can require only 'electron' — the method list and the channel prefixes are repeated here, and
 * tsc checks the list is exactly HostMethod. Every call is also checked again in the main process.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { HostBridge, HostMethod, ServiceStatus } from '../common/host-api.js' with {
  'resolution-mode': 'import',
};

const METHODS = [
  'getStatus',
  'restartService',
  'getLogs',
  'getSettings',
  'updateSettings',
  'testConnection',
  'appInfo',
] as const satisfies readonly HostMethod[];
type Missing = Exclude<HostMethod, (typeof METHODS)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

const INVOKE_PREFIX = 'host:'; // = common/ipc.ts INVOKE_PREFIX
const STATUS_CHANNEL = 'host-event:status'; // = common/ipc.ts STATUS_CHANNEL

const bridge: HostBridge = {
  invoke(method, ...args) {
    if (!(METHODS as readonly string[]).includes(method)) {
      return Promise.reject(new Error(`no host method ${String(method)}`));
    }
    return ipcRenderer.invoke(`${INVOKE_PREFIX}${method}`, ...args);
  },
  onStatus(listener) {
    const handler = (_event: IpcRendererEvent, status: ServiceStatus[]) => listener(status);
    ipcRenderer.on(STATUS_CHANNEL, handler);
    return () => void ipcRenderer.off(STATUS_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('msiHost', bridge);
