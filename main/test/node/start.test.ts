/**
 * `npm start`'s decision (launch.ts) with the electron package's real installer: it runs here and fails
 * fast (no network; the mirror is pointed at a closed or a silent local port so the test never
 * downloads anything anywhere), and the app then falls back to browser mode with the reason.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@msi/kit';
import { tempDataDir } from '../../../test/support/services.js';
import { electronPackageDir, findElectron, type ElectronBinary } from '../../src/node/electron-binary.js';
import { INSTALL_COMMAND, meetsMinimum, runElectronInstaller } from '../../src/node/electron-install.js';
import { chooseShell, fallbackLine, LATER, type LaunchDeps } from '../../src/node/launch.js';

const pkgDir = electronPackageDir()!;
const cache = tempDataDir('msi-electron-cache-');
afterEach(() => cache.cleanup());

const installerEnv = (mirror: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: cache.dir,
  ELECTRON_MIRROR: mirror,
  electron_config_cache: cache.dir,
});

const deps = (over: Partial<LaunchDeps>, said: string[]): LaunchDeps => ({
  find: () => findElectron({}, pkgDir),
  noDisplay: () => undefined,
  install: () => Promise.reject(new Error('not expected')),
  say: (l) => said.push(l),
  installTimeoutMs: 60_000,
  ...over,
});

describe('npm start without the Electron binary', () => {
  it('has no binary in this checkout (the premise of these tests)', () => {
    expect(findElectron({}, pkgDir)).toMatchObject({ ok: false, reason: 'missing' });
  });

  it("runs the electron package's installer, and falls back to browser mode when it fails", async () => {
    const closed = await freePort();
    const said: string[] = [];
    const launch = await chooseShell(
      deps(
        {
          install: () =>
            runElectronInstaller({
              pkgDir,
              timeoutMs: 60_000,
              env: installerEnv(`http://127.0.0.1:${closed}/`),
              stdio: 'pipe',
            }),
          electron: { version: '45.5.0', nodeRange: '>= 22.12.0', nodeOk: false, node: 'v20.20.2' },
        },
        said,
      ),
    );
    expect(said[0]).toContain(`running the electron package's installer (${INSTALL_COMMAND}; at most 60 s)`);
    expect(said[1]).toContain(
      "Electron 45.5.0's installer is made for Node >= 22.12.0 and this is Node v20.20.2",
    );
    expect(launch).toMatchObject({ shell: 'browser', later: LATER });
    if (launch.shell !== 'browser') throw new Error('unreachable');
    expect(launch.why).toMatch(
      /^the electron package's installer exited with code 1: .*(fetch failed|ECONNREFUSED)/,
    );
    expect(launch.why).toContain('(Node v20.20.2; Electron 45.5.0 wants Node >= 22.12.0)');
    expect(fallbackLine(launch)).toMatch(
      /^start: Electron cannot run here \(.+\); starting the same app in browser mode: npm run stack -- --open\nstart: to get the Electron binary later: node node_modules\/electron\/install.js, then npm start$/,
    );
    // Nothing was half-installed.
    expect(findElectron({}, pkgDir)).toMatchObject({ ok: false, reason: 'missing' });
  }, 90_000);

  describe('a download that hangs', () => {
    let server: Server | undefined;
    const sockets: Socket[] = [];
    afterEach(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server?.close(r));
    });

    it('is stopped at the bound and said so', async () => {
      server = createServer((s) => sockets.push(s)); // accepts, never answers
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const t = Date.now();
      const res = await runElectronInstaller({
        pkgDir,
        timeoutMs: 3_000,
        env: installerEnv(`http://127.0.0.1:${port}/`),
        stdio: 'pipe',
      });
      expect(res).toEqual({ ok: false, why: 'the Electron download did not finish within 3 s' });
      expect(Date.now() - t).toBeLessThan(15_000);
    }, 30_000);
  });

  it('does not download where no window could open, and says both reasons', async () => {
    const said: string[] = [];
    const launch = await chooseShell(deps({ noDisplay: () => 'there is no display' }, said));
    expect(launch).toEqual({
      shell: 'browser',
      why: 'there is no display; the Electron binary is not downloaded either',
      later: LATER,
    });
    expect(said).toEqual([]);
  });
});

describe('npm start with the binary', () => {
  const present: ElectronBinary = { ok: true, binary: '/opt/electron/electron' };

  it('runs Electron when there is a display, without the installer', async () => {
    const launch = await chooseShell(deps({ find: () => present }, []));
    expect(launch).toEqual({ shell: 'electron', binary: '/opt/electron/electron' });
  });

  it('uses the binary the installer just fetched', async () => {
    let calls = 0;
    const launch = await chooseShell(
      deps(
        {
          find: () => (calls++ === 0 ? { ok: false, reason: 'missing', why: 'never downloaded' } : present),
          install: () => Promise.resolve({ ok: true }),
        },
        [],
      ),
    );
    expect(launch).toEqual({ shell: 'electron', binary: '/opt/electron/electron' });
  });

  it('opens the browser mode without a display, with no download hint', async () => {
    const launch = await chooseShell(
      deps({ find: () => present, noDisplay: () => 'there is no display' }, []),
    );
    expect(launch).toEqual({ shell: 'browser', why: 'there is no display', later: undefined });
    expect(fallbackLine(launch as Extract<typeof launch, { shell: 'browser' }>)).not.toContain('later');
  });
});

describe("the installer's Node", () => {
  it('compares a >= X.Y.Z range with a Node version', () => {
    expect(meetsMinimum('>= 22.12.0', 'v20.20.2')).toBe(false);
    expect(meetsMinimum('>= 22.12.0', 'v22.12.0')).toBe(true);
    expect(meetsMinimum('>=22.12.0', 'v24.1.0')).toBe(true);
    expect(meetsMinimum('>= 12.20.55', 'v20.19.0')).toBe(true);
    expect(meetsMinimum('^20 || >=22', 'v20.19.0')).toBeUndefined();
    expect(meetsMinimum(undefined, 'v20.19.0')).toBeUndefined();
  });
});
