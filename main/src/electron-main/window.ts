/**
 * Windows: a small splash that shows each service starting, and the app window on the host's URL — its
 * size and place kept across runs (node/window-state.ts) —
 * sandboxed, context-isolated, no Node; navigation and new windows locked (app and IDP origins stay,
 * other http(s) links open in the system browser, the rest is denied); no permissions granted.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, screen, shell, session } from 'electron';
import type { ServiceStatus } from '../common/host-api.js';
import { classifyNavigation } from '../common/navigation.js';
import { splashHtml, splashUpdate } from '../common/stack-state.js';
import { MIN_SIZE, fitWindowState, readWindowState, saveWindowState } from '../node/window-state.js';

const PRELOAD = join(fileURLToPath(new URL('.', import.meta.url)), '../preload/preload.cjs');

const locked = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  webSecurity: true,
  spellcheck: false,
} as const;

export function createSplash(): BrowserWindow {
  const splash = new BrowserWindow({
    width: 460,
    height: 260,
    frame: false,
    resizable: false,
    show: true,
    webPreferences: locked,
  });
  void splash.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(splashHtml())}`);
  return splash;
}

export function showProgress(splash: BrowserWindow | undefined, status: ServiceStatus[]): void {
  if (!splash || splash.isDestroyed()) return;
  void splash.webContents.executeJavaScript(splashUpdate(status)).catch(() => undefined);
}

/** `inAppOrigins()` gives the app's origin first, then the IDP's (asked each time: the mode can change). */
export function createMainWindow(url: string, inAppOrigins: () => string[], dataDir: string): BrowserWindow {
  const primary = screen.getPrimaryDisplay();
  const areas = [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map(
    (d) => d.workArea,
  );
  const state = fitWindowState(readWindowState(dataDir), areas);
  const win = new BrowserWindow({
    ...state.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'MSI Assistant',
    webPreferences: { ...locked, preload: PRELOAD },
  });
  const route = (target: string) => classifyNavigation(target, inAppOrigins());
  win.webContents.on('will-navigate', (event, target) => {
    const where = route(target);
    if (where === 'app') return;
    event.preventDefault();
    if (where === 'external') void shell.openExternal(target);
  });
  win.webContents.on('will-redirect', (event, target) => {
    if (route(target) !== 'app') event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url: target }) => {
    if (route(target) !== 'deny') void shell.openExternal(target);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    if (win.isDestroyed() || win.isMinimized()) return;
    const bounds = win.isMaximized() ? win.getNormalBounds() : win.getBounds();
    saveWindowState(dataDir, { bounds, maximized: win.isMaximized() });
  };
  const saveSoon = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 500);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('close', () => {
    clearTimeout(saveTimer);
    save();
  });
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  void win.loadURL(url);
  return win;
}
