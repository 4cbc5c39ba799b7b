/**
 * The application menu: back up / restore the data dir, open the logs folder; a Stack menu with each
 * local service's state (rebuilt on every status change), a restart per service and the status page;
 * the usual edit/view/window.
 */
import { join } from 'node:path';
import { Menu, app, dialog, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { backupInChild, readBackup, restoreDataDir } from '../node/backup.js';
import type { Stack } from '../node/stack.js';
import type { ServiceStatus } from '../common/host-api.js';
import { serviceLine, stackSummary } from '../common/stack-state.js';

export function installMenu(
  stack: Stack,
  win: () => BrowserWindow | undefined,
  status: readonly ServiceStatus[] = [],
): void {
  const backup = async () => {
    const w = win();
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const res = await dialog.showSaveDialog(w!, {
      title: 'Back up data',
      defaultPath: join(app.getPath('documents'), `msi-assistant-backup-${stamp}`),
      buttonLabel: 'Back up',
    });
    if (res.canceled || !res.filePath) return;
    try {
      const m = await backupInChild(stack.layout, stack.dataDir, res.filePath);
      await dialog.showMessageBox(w!, {
        message: `Backed up ${m.files} files (${m.sqlite.length} databases) to ${res.filePath}`,
      });
    } catch (err) {
      dialog.showErrorBox('Backup failed', (err as Error).message);
    }
  };
  const restore = async () => {
    const w = win();
    const res = await dialog.showOpenDialog(w!, {
      title: 'Restore data from a backup',
      properties: ['openDirectory'],
    });
    const dir = res.filePaths[0];
    if (res.canceled || !dir) return;
    try {
      readBackup(dir);
    } catch (err) {
      dialog.showErrorBox('Not a backup', (err as Error).message);
      return;
    }
    const ok = await dialog.showMessageBox(w!, {
      type: 'warning',
      buttons: ['Restore and restart', 'Cancel'],
      defaultId: 1,
      message:
        'Replace the current data with this backup? The app restarts; the current data is kept beside it.',
    });
    if (ok.response !== 0) return;
    await stack.stop();
    try {
      restoreDataDir(dir, stack.dataDir);
    } catch (err) {
      dialog.showErrorBox('Restore failed', (err as Error).message);
    }
    app.relaunch();
    app.exit(0);
  };
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Back Up Data…', click: () => void backup() },
        { label: 'Restore Data…', click: () => void restore() },
        { type: 'separator' },
        { label: 'Open Logs Folder', click: () => void shell.openPath(join(stack.dataDir, 'logs')) },
        { label: 'Open Data Folder', click: () => void shell.openPath(stack.dataDir) },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Stack',
      submenu: stackMenu(stack, win, status),
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function stackMenu(
  stack: Stack,
  win: () => BrowserWindow | undefined,
  status: readonly ServiceStatus[],
): MenuItemConstructorOptions[] {
  return [
    { label: `Local stack: ${stackSummary(status)}`, enabled: false },
    ...status.map((s): MenuItemConstructorOptions => ({ label: serviceLine(s), enabled: false })),
    { type: 'separator' },
    {
      label: 'Restart a Service',
      enabled: status.length > 0,
      submenu: status.map((s) => ({
        label: s.name,
        click: () =>
          void stack
            .restartService(s.name)
            .catch((e: Error) => dialog.showErrorBox('Restart failed', e.message)),
      })),
    },
    { label: 'Service Status…', click: () => void win()?.loadURL(`${stack.rendererUrl}/status`) },
  ];
}
