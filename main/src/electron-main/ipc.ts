/**
 * The HostService over IPC: one `ipcMain.handle` per method from HOST_METHODS (channel map in
 * common/ipc.ts), each refusing any sender that is not our page's main frame; status pushed on
 * STATUS_CHANNEL.
 */
import { ipcMain, type BrowserWindow } from 'electron';
import { HOST_METHODS, type HostService, type ServiceStatus } from '../common/host-api.js';
import { IPC_CHANNELS, STATUS_CHANNEL, isTrustedSender } from '../common/ipc.js';

export function registerHostIpc(service: HostService, appOrigin: () => string): () => void {
  for (const method of HOST_METHODS) {
    ipcMain.handle(IPC_CHANNELS[method], async (event, ...args: unknown[]) => {
      const frame = event.senderFrame;
      if (!isTrustedSender(frame?.url, !!frame && frame === event.sender.mainFrame, appOrigin())) {
        throw new Error(`refused ${method}: the sender is not the app's page`);
      }
      const fn = service[method] as (...a: unknown[]) => Promise<unknown>;
      return fn.apply(service, args);
    });
  }
  return () => HOST_METHODS.forEach((m) => ipcMain.removeHandler(IPC_CHANNELS[m]));
}

export function pushStatus(win: BrowserWindow | undefined, status: ServiceStatus[]): void {
  if (win && !win.isDestroyed()) win.webContents.send(STATUS_CHANNEL, status);
}
