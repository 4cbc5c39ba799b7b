/**
 * Windows: a small splash that shows the services starting, and the app window on the host's URL —
 * sandboxed, context-isolated, no Node; navigation and new windows locked (app and IDP origins stay,
 * other http(s) links open in the system browser, the rest is denied); no permissions granted.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, shell, session } from 'electron';
import type { ServiceStatus } from '../common/host-api.js';
import { classifyNavigation } from '../common/navigation.js';

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
    width: 420,
    height: 220,
    frame: false,
    resizable: false,
    show: true,
    webPreferences: locked,
  });
  const html =
    '<!doctype html><meta charset="utf-8"><body style="font:14px system-ui;margin:24px">' +
    '<h2 style="margin:0 0 12px">MSI Assistant</h2><p>Starting the local services…</p><pre id="s"></pre></body>';
  void splash.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
  return splash;
}

export function showProgress(splash: BrowserWindow | undefined, status: ServiceStatus[]): void {
  if (!splash || splash.isDestroyed()) return;
  const text = status.map((s) => `${s.name.padEnd(14)} ${s.state}`).join('\n');
  void splash.webContents
    .executeJavaScript(`document.getElementById('s').textContent=${JSON.stringify(text)}`)
    .catch(() => undefined);
}

/** `inAppOrigins()` gives the app's origin first, then the IDP's (asked each time: the mode can change). */
export function createMainWindow(url: string, inAppOrigins: () => string[]): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
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
  win.once('ready-to-show', () => win.show());
  void win.loadURL(url);
  return win;
}
