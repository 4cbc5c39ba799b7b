/**
 * Electron main: one instance; the Stack (supervisor + host) on the data dir (userData, or
 * --data-dir / MSI_DATA_DIR); a splash while the services start; the app window on the host's URL;
 * the HostService over IPC; a clean stop of every child on quit.
 */
import { join } from 'node:path';
import { BrowserWindow, app, dialog } from 'electron';
import { EXIT } from '@msi/kit/exit-codes';
import { DataDirProblem } from '../node/data-dir.js';
import type { AppLayout } from '../node/layout.js';
import { devLayout } from '../node/layout.js';
import { Stack } from '../node/stack.js';
import { pushStatus, registerHostIpc } from './ipc.js';
import { installMenu } from './menu.js';
import { SafeStorageSecretStore } from './safe-storage.js';
import { createMainWindow, createSplash, showProgress } from './window.js';

/** Packaged: services inside the app, renderer in resources/, Electron's binary as Node (docs/packaging.md). */
function layout(): AppLayout {
  if (!app.isPackaged)
    return { ...devLayout(), node: { execPath: process.env.npm_node_execpath ?? 'node', env: {} } };
  return {
    root: app.getAppPath(),
    rendererDir: join(process.resourcesPath, 'renderer'),
    docsDir: join(process.resourcesPath, 'docs'),
    node: { execPath: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } },
  };
}

function dataDirArg(): string | undefined {
  const i = process.argv.indexOf('--data-dir');
  return i > 0 ? process.argv[i + 1] : process.env.MSI_DATA_DIR;
}

app.enableSandbox();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | undefined;
  let stack: Stack | undefined;

  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(async () => {
    const splash = createSplash();
    try {
      const dataDir = dataDirArg() ?? app.getPath('userData');
      stack = new Stack({
        dataDir,
        shell: 'electron',
        layout: layout(),
        secretStore: new SafeStorageSecretStore(dataDir),
      });
    } catch (err) {
      dialog.showErrorBox('MSI Assistant cannot start', (err as Error).message);
      app.exit(err instanceof DataDirProblem ? EXIT.dataUnusable : EXIT.config);
      return;
    }
    const s = stack;
    s.on('status', (status) => {
      showProgress(splash, status);
      pushStatus(win, status);
    });
    registerHostIpc(s, () => s.rendererUrl);
    try {
      await s.start();
      await s.whenReady();
    } catch (err) {
      // The window still opens: its status page shows what failed, with the last log lines.
      dialog.showErrorBox('A service did not start', (err as Error).message);
    }
    win = createMainWindow(s.rendererUrl, () => [s.rendererUrl, s.rendererConfig().issuer], s.dataDir);
    win.once('show', () => !splash.isDestroyed() && splash.close());
    // The Stack menu shows each service's state: rebuilt when it changes.
    installMenu(s, () => win, await s.getStatus());
    s.on('status', (status) => installMenu(s, () => win, status));
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !stack) return;
    event.preventDefault();
    quitting = true;
    void stack.stop().finally(() => app.exit(0));
  });
  app.on('window-all-closed', () => app.quit());
}
