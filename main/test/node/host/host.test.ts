/**
 * The host over real HTTP, backed by a real Stack: /config.json, the CSP on every answer, the SPA
 * fallback, the HostService routes refusing requests without the per-run secret, the status SSE,
 * and the mode switch (remote → local starts the local services, local → remote stops them).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../../test/support/services.js';
import { StackFileSchema } from '@msi/contracts/stack';
import type { RendererConfig, ServiceStatus } from '../../../src/common/host-api.js';
import { devLayout } from '../../../src/node/layout.js';
import { Stack } from '../../../src/node/stack.js';
import { isAlive, waitForGone, waitForStatus } from '../../support/wait.js';

const data = tempDataDir('msi-host-');
const renderer = join(data.dir, 'renderer');
let stack: Stack;
let url = '';

const call = (method: string, args: unknown[] = [], secret: string = stack.secret) =>
  fetch(`${url}/host/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { 'x-host-secret': secret } : {}) },
    body: JSON.stringify({ args }),
  });

beforeAll(async () => {
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>app</title><app-root></app-root>');
  writeFileSync(join(renderer, 'main.js'), 'console.log(1)');
  const dataDir = join(data.dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(
    join(dataDir, 'settings.json'),
    JSON.stringify({
      mode: 'remote',
      remote: { issuer: 'https://idp.example.com', apiUrl: 'https://api.example.com' },
    }),
  );
  stack = new Stack({
    dataDir,
    shell: 'browser',
    hostPort: 0,
    layout: { ...devLayout(), rendererDir: renderer },
    supervisor: { only: ['ticketing'] },
  });
  await stack.start();
  url = stack.rendererUrl;
});
afterAll(async () => {
  await stack?.stop();
  data.cleanup();
});

describe('host', () => {
  it('serves /config.json for remote mode, with the host secret in browser mode', async () => {
    const res = await fetch(`${url}/config.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cfg = (await res.json()) as RendererConfig;
    expect(cfg).toEqual({
      mode: 'remote',
      issuer: 'https://idp.example.com',
      clientId: 'msi-desktop',
      apiUrl: 'https://api.example.com',
      scopes: 'openid profile email offline_access api',
      host: { url, secret: stack.secret },
    });
  });

  it('puts a strict CSP on pages and assets, and falls back to index.html for client routes', async () => {
    for (const path of ['/', '/auth/callback?code=abc&state=x', '/main.js']) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self' https://idp.example.com https://api.example.com;");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(await (await fetch(`${url}/auth/callback`)).text()).toContain('<app-root>');
    expect((await fetch(`${url}/missing.js`)).status).toBe(404);
  });

  it('refuses the HostService without the right secret', async () => {
    for (const secret of ['', 'wrong', `${stack.secret}x`]) {
      const res = await call('getSettings', [], secret);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect((await fetch(`${url}/host/events`)).status).toBe(401);
    expect((await fetch(`${url}/host/events?secret=nope`)).status).toBe(401);
  });

  it('serves only loopback host names (DNS-rebinding protection)', async () => {
    const port = new URL(url).port;
    const get = (host: string) =>
      new Promise<number>((resolve, reject) =>
        request({ host: '127.0.0.1', port, path: '/config.json', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .once('error', reject)
          .end(),
      );
    expect(await get(`evil.example:${port}`)).toBe(421);
    expect(await get(`localhost:${port}`)).toBe(200);
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
  });

  it('answers HostService calls with the secret; bad calls get a clear 4xx', async () => {
    const settings = await call('getSettings');
    expect(settings.status).toBe(200);
    expect(((await settings.json()) as { result: { mode: string } }).result.mode).toBe('remote');
    const info = (await (await call('appInfo')).json()) as { result: { shell: string; dataDir: string } };
    expect(info.result).toMatchObject({ shell: 'browser', dataDir: stack.dataDir });
    const unknown = await call('deleteEverything');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(
      /no host method deleteEverything/,
    );
    const bad = await call('updateSettings', [{ remote: { apiUrl: 'not a url' } }]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(
      /remote\.apiUrl: must be an http\(s\) URL/,
    );
    const noLocal = await call('restartService', ['ticketing']);
    expect(noLocal.status).toBe(400);
    expect(((await noLocal.json()) as { message: string }).message).toMatch(/remote mode/);
  });

  it('switches mode without a restart: local starts the services, remote stops them', async () => {
    const events = new AbortController();
    const sse = await fetch(`${url}/host/events?secret=${stack.secret}`, { signal: events.signal });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    const reader = sse.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: status\ndata: \[\]\n\n/);

    const res = await call('updateSettings', [{ mode: 'local' }]);
    expect(res.status).toBe(200);
    const [ticketing] = await waitForStatus(stack, (s) => s[0]?.state === 'ready', 'ticketing ready');
    expect(ticketing).toMatchObject({ name: 'ticketing', state: 'ready' });
    const cfg = (await (await fetch(`${url}/config.json`)).json()) as RendererConfig;
    expect(cfg.mode).toBe('local');
    expect(cfg.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${ticketing!.url}/healthz`);
    expect(health.ok).toBe(true);
    // The one shape its readers parse (contracts/src/stack.ts).
    const stackJson = StackFileSchema.parse(JSON.parse(readFileSync(stack.stackFile, 'utf8')));
    expect(stackJson).toMatchObject({
      mode: 'local',
      renderer: { url },
      services: { ticketing: { state: 'ready', pid: ticketing!.pid } },
    });

    let streamed = first;
    while (!streamed.includes('"state":"ready"'))
      streamed += new TextDecoder().decode((await reader.read()).value);
    events.abort();

    const pid = ticketing!.pid!;
    expect(isAlive(pid)).toBe(true);
    const back = await call('updateSettings', [{ mode: 'remote' }]);
    expect(((await back.json()) as { result: { mode: string } }).result.mode).toBe('remote');
    expect(await stack.getStatus()).toEqual([] as ServiceStatus[]);
    await waitForGone([pid]);
    expect(StackFileSchema.parse(JSON.parse(readFileSync(stack.stackFile, 'utf8')))).toMatchObject({
      mode: 'remote',
      services: {},
    });
  });
});

describe('host without a built renderer', () => {
  it('says to run the build', async () => {
    const d = tempDataDir('msi-host-nobuild-');
    const s = new Stack({
      dataDir: d.dir,
      shell: 'electron',
      hostPort: 0,
      layout: { ...devLayout(), rendererDir: join(d.dir, 'nothing') },
      supervisor: { only: [] },
    });
    await s.start();
    try {
      const res = await fetch(`${s.rendererUrl}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build -w renderer');
      const cfg = (await (await fetch(`${s.rendererUrl}/config.json`)).json()) as RendererConfig;
      expect(cfg.host).toBeUndefined();
      expect((await fetch(`${s.rendererUrl}/host/getStatus`, { method: 'POST' })).status).toBe(404);
    } finally {
      await s.stop();
      d.cleanup();
    }
  });
});

describe("a remote provider's client", () => {
  it('/config.json gives the remote client id and scopes from the settings; Local mode keeps ours', async () => {
    const d = tempDataDir('msi-host-remote-client-');
    const s = new Stack({ dataDir: d.dir, shell: 'electron', hostPort: 0, supervisor: { only: [] } });
    try {
      s.settings.update({
        mode: 'remote',
        remote: {
          issuer: 'https://id.example.com/realms/msi',
          apiUrl: 'https://msi.example.com/api',
          clientId: 'msi-desktop-prod',
          scopes: 'openid profile offline_access msi-api',
        },
      });
      await s.start();
      const cfg = (await (await fetch(`${s.rendererUrl}/config.json`)).json()) as RendererConfig;
      expect(cfg).toMatchObject({
        mode: 'remote',
        issuer: 'https://id.example.com/realms/msi',
        clientId: 'msi-desktop-prod',
        scopes: 'openid profile offline_access msi-api',
      });
      await s.updateSettings({ mode: 'local' });
      expect(s.rendererConfig()).toMatchObject({
        clientId: 'msi-desktop',
        scopes: expect.stringContaining('api'),
      });
    } finally {
      await s.stop();
      d.cleanup();
    }
  });
});
