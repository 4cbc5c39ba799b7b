/**
 * The one Electron-binary finder (npm start, the e2e suite's electron project): where the electron
 * package put its binary — the way the package itself does, without its download-on-require — or why
 * there is none. `ELECTRON_PATH` names a binary directly; `ELECTRON_OVERRIDE_DIST_PATH` is the
 * electron package's own override of its dist directory.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary =
  | { ok: true; binary: string }
  | { ok: false; reason: 'not-installed' | 'missing' | 'not-executable'; why: string };

/** The executable's path inside dist/ per platform, as the electron package's install.js writes path.txt. */
export function platformPath(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

/** The electron package's directory, or undefined when it is not installed. */
export function electronPackageDir(from: string = import.meta.url): string | undefined {
  try {
    return dirname(createRequire(from).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

export function findElectron(
  env: NodeJS.ProcessEnv = process.env,
  /** The electron package's directory; null: not installed. */
  pkgDir: string | null = electronPackageDir() ?? null,
): ElectronBinary {
  let binary: string;
  if (env.ELECTRON_PATH) {
    binary = env.ELECTRON_PATH;
    if (!existsSync(binary))
      return { ok: false, reason: 'missing', why: `ELECTRON_PATH=${binary} does not exist` };
  } else {
    if (!pkgDir) return { ok: false, reason: 'not-installed', why: 'the electron package is not installed' };
    const pathFile = join(pkgDir, 'path.txt');
    const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : platformPath();
    binary = join(env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist'), name);
    if (!existsSync(binary))
      return {
        ok: false,
        reason: 'missing',
        why: `the Electron binary was never downloaded (${binary} does not exist)`,
      };
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { ok: false, reason: 'not-executable', why: `the Electron binary ${binary} is not executable` };
  }
  return { ok: true, binary };
}

/** Why no window can open here, or undefined when there is a display (Linux: X11 or Wayland). */
export function noDisplay(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return undefined;
}
