import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/common/csp.js';
import { HOST_BRIDGE_KEY, HOST_METHODS, type HostBridge } from '../../src/common/host-api.js';
import {
  IPC_CHANNELS,
  STATUS_CHANNEL,
  classifyNavigation,
  isHostMethod,
  isTrustedSender,
  methodOfChannel,
} from '../../src/common/ipc.js';

const APP = 'http://127.0.0.1:4200';

describe('IPC channel map', () => {
  it('has one distinct channel per HostService method, and maps back', () => {
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual([...HOST_METHODS].sort());
    const channels = Object.values(IPC_CHANNELS);
    expect(new Set(channels).size).toBe(HOST_METHODS.length);
    for (const m of HOST_METHODS) expect(methodOfChannel(IPC_CHANNELS[m])).toBe(m);
    expect(channels).not.toContain(STATUS_CHANNEL);
  });

  it('refuses channels and names that are not host methods', () => {
    expect(methodOfChannel('host:constructor')).toBeUndefined();
    expect(methodOfChannel('other:getStatus')).toBeUndefined();
    expect(isHostMethod('toString')).toBe(false);
    expect(isHostMethod(42)).toBe(false);
    expect(isHostMethod('getStatus')).toBe(true);
  });
});

describe('sender check', () => {
  it('trusts only the main frame on the app origin', () => {
    expect(isTrustedSender(`${APP}/chat`, true, APP)).toBe(true);
    expect(isTrustedSender(`${APP}/chat`, false, APP)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:4201/', true, APP)).toBe(false);
    expect(isTrustedSender('http://localhost:4200/', true, APP)).toBe(false);
    expect(isTrustedSender('file:///etc/passwd', true, APP)).toBe(false);
    expect(isTrustedSender(undefined, true, APP)).toBe(false);
    expect(isTrustedSender('not a url', true, APP)).toBe(false);
  });
});

describe('navigation lock', () => {
  it('keeps the app and IDP origins, sends other http(s) out, denies the rest', () => {
    const inApp = [APP, 'http://127.0.0.1:9400', ''];
    expect(classifyNavigation(`${APP}/auth/callback?code=x`, inApp)).toBe('app');
    expect(classifyNavigation('http://127.0.0.1:9400/authorize?client_id=msi-desktop', inApp)).toBe('app');
    expect(classifyNavigation('https://docs.example.com/x', inApp)).toBe('external');
    expect(classifyNavigation('http://127.0.0.1:9401/', inApp)).toBe('external');
    expect(classifyNavigation('file:///etc/passwd', inApp)).toBe('deny');
    expect(classifyNavigation('javascript:alert(1)', inApp)).toBe('deny');
    expect(classifyNavigation('::', inApp)).toBe('deny');
  });
});

describe('content security policy', () => {
  it('limits scripts to self and connections to self, the IDP and the API', () => {
    const csp = contentSecurityPolicy({
      issuer: 'https://idp.example.com/realms/x',
      apiUrl: 'https://api.example.com/',
    });
    const d = Object.fromEntries(csp.split('; ').map((p) => [p.split(' ')[0], p.split(' ').slice(1)]));
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['connect-src']).toEqual(["'self'", 'https://idp.example.com', 'https://api.example.com']);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
  });

  it('leaves out URLs that are not URLs (empty remote settings)', () => {
    expect(contentSecurityPolicy({ issuer: '', apiUrl: '' })).toContain("connect-src 'self';");
  });
});

describe('sandboxed preload', () => {
  it('imports nothing but electron at run time (tsc checks its copies of the constants)', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../../src/preload/preload.cts', import.meta.url), 'utf8');
    expect(src).toMatch(/import \{ contextBridge, ipcRenderer/);
    expect(src.match(/^import (?!type )[^;]*from '(?!electron')/gm)).toBeNull();
  });

  it("exposes the contract's HostBridge under HOST_BRIDGE_KEY, on the contract's channels", async () => {
    const require = createRequire(import.meta.url);
    const exposed: Record<string, HostBridge> = {};
    const invoked: unknown[][] = [];
    const subscribed: string[] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: HostBridge) => (exposed[key] = api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => invoked.push(args),
        on: (channel: string) => subscribed.push(channel),
        off: () => undefined,
      },
    };
    const electronPath = require.resolve('electron');
    const preloadPath = require.resolve('../../dist/preload/preload.cjs');
    const real = require.cache[electronPath];
    require.cache[electronPath] = {
      id: electronPath,
      filename: electronPath,
      loaded: true,
      exports: electron,
    } as NodeModule;
    delete require.cache[preloadPath];
    try {
      require(preloadPath);
    } finally {
      if (real) require.cache[electronPath] = real;
      else delete require.cache[electronPath];
      delete require.cache[preloadPath];
    }
    expect(Object.keys(exposed)).toEqual([HOST_BRIDGE_KEY]);
    const bridge = exposed[HOST_BRIDGE_KEY]!;
    await bridge.invoke('getLogs', 'api', 5);
    expect(invoked).toEqual([[IPC_CHANNELS.getLogs, 'api', 5]]);
    await expect(bridge.invoke('constructor' as 'getStatus')).rejects.toThrow('no host method constructor');
    bridge.onStatus(() => undefined);
    expect(subscribed).toEqual([STATUS_CHANNEL]);
  });
});
