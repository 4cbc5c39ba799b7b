import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../test/support/services.js';
import { electronPackageDir, findElectron, noDisplay } from '../../src/node/electron-binary.js';

describe('the Electron-binary finder', () => {
  const tmp = tempDataDir('msi-electron-');
  afterEach(() => tmp.cleanup());

  const fakePackage = (opts: { binary?: boolean; executable?: boolean } = {}) => {
    const pkg = join(tmp.dir, 'electron');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    if (opts.binary) {
      writeFileSync(join(pkg, 'dist', 'electron'), '#!/bin/sh\n');
      chmodSync(join(pkg, 'dist', 'electron'), opts.executable === false ? 0o644 : 0o755);
    }
    return pkg;
  };

  it('finds the binary where the electron package put it (path.txt inside dist/)', () => {
    const pkg = fakePackage({ binary: true });
    expect(findElectron({}, pkg)).toEqual({ ok: true, binary: join(pkg, 'dist', 'electron') });
  });

  it('says the binary was never downloaded, not installed, or not executable', () => {
    expect(findElectron({}, fakePackage())).toMatchObject({ ok: false, reason: 'missing' });
    expect(findElectron({}, null)).toMatchObject({ ok: false, reason: 'not-installed' });
    tmp.cleanup();
    expect(findElectron({}, fakePackage({ binary: true, executable: false }))).toMatchObject({
      ok: false,
      reason: 'not-executable',
    });
  });

  it('takes ELECTRON_PATH and the package own ELECTRON_OVERRIDE_DIST_PATH', () => {
    const pkg = fakePackage({ binary: true });
    const bin = join(pkg, 'dist', 'electron');
    expect(findElectron({ ELECTRON_PATH: bin }, null)).toEqual({ ok: true, binary: bin });
    expect(findElectron({ ELECTRON_PATH: '/nope/electron' }, pkg)).toMatchObject({
      ok: false,
      why: 'ELECTRON_PATH=/nope/electron does not exist',
    });
    expect(findElectron({ ELECTRON_OVERRIDE_DIST_PATH: join(pkg, 'dist') }, join(tmp.dir, 'x'))).toEqual({
      ok: true,
      binary: bin,
    });
  });

  it('resolves the installed electron package of this repository', () => {
    expect(electronPackageDir()).toMatch(/node_modules[/\\]electron$/);
  });
});

describe('display check', () => {
  it('needs X11 or Wayland on Linux only', () => {
    expect(noDisplay({}, 'linux')).toMatch(/no display/);
    expect(noDisplay({ DISPLAY: ':0' }, 'linux')).toBeUndefined();
    expect(noDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBeUndefined();
    expect(noDisplay({}, 'win32')).toBeUndefined();
  });
});
