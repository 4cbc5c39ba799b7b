/**
 * The preload: one small typed bridge, `window[HOST_BRIDGE_KEY]` (HostBridge in contracts/src/host.ts).
 * Sandboxed, so it can require only 'electron': the bridge key, the method list and the channel
 * prefixes are repeated here, and tsc checks each copy is exactly the contract's value. Every call is
 * also checked again in the main process.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  HOST_BRIDGE_KEY,
  HOST_METHODS,
  HostBridge,
  INVOKE_PREFIX,
  STATUS_CHANNEL,
  ServiceStatus,
} from '../common/host-api.js' with { 'resolution-mode': 'import' };

const BRIDGE_KEY: typeof HOST_BRIDGE_KEY = 'msiHost';
const METHODS: typeof HOST_METHODS = [
  'getStatus',
  'restartService',
  'getLogs',
  'getSettings',
  'updateSettings',
  'testConnection',
  'appInfo',
];
const INVOKE: typeof INVOKE_PREFIX = 'host:';
const STATUS: typeof STATUS_CHANNEL = 'host-event:status';

const bridge: HostBridge = {
  invoke(method, ...args) {
    if (!(METHODS as readonly string[]).includes(method)) {
      return Promise.reject(new Error(`no host method ${String(method)}`));
    }
    return ipcRenderer.invoke(`${INVOKE}${method}`, ...args);
  },
  onStatus(listener) {
    const handler = (_event: IpcRendererEvent, status: ServiceStatus[]) => listener(status);
    ipcRenderer.on(STATUS, handler);
    return () => void ipcRenderer.off(STATUS, handler);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
