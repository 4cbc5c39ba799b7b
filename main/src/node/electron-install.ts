/**
 * The electron package's own installer (its install.js: @electron/get downloads the binary for this
 * platform, with its progress bar on a terminal, into the package's dist/), run by `npm start` when the
 * binary is missing — bounded in time, and with a plain reason when it fails.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type InstallResult = { ok: true } | { ok: false; why: string };

export const INSTALL_COMMAND = 'node node_modules/electron/install.js';

/** The electron package's version and the Node its installer is made for (`engines.node`). */
export function electronPackageInfo(pkgDir: string): { version: string; nodeRange: string | undefined } {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    version: string;
    engines?: { node?: string };
  };
  return { version: pkg.version, nodeRange: pkg.engines?.node };
}

/**
 * Whether `version` (e.g. v20.20.2) meets a `>= X.Y.Z` range; undefined for ranges of another shape
 * (then nothing is said about it).
 */
export function meetsMinimum(range: string | undefined, version: string): boolean | undefined {
  const min = range && /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
  const have = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!min || !have) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(have[i]) - Number(min[i]);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Runs `<node> <pkgDir>/install.js`. `stdio: 'inherit'` shows its progress and messages on this
 * terminal; 'pipe' keeps them (tests) and names the last error line in `why`. Killed after `timeoutMs`.
 */
export function runElectronInstaller(opts: {
  pkgDir: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'pipe';
  node?: string;
}): Promise<InstallResult> {
  const stdio = opts.stdio ?? 'inherit';
  return new Promise((resolve) => {
    const child = spawn(opts.node ?? process.execPath, [join(opts.pkgDir, 'install.js')], {
      cwd: opts.pkgDir,
      env: opts.env ?? process.env,
      stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, why: `the electron package's installer could not be run (${err.message})` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        return resolve({
          ok: false,
          why: `the Electron download did not finish within ${Math.round(opts.timeoutMs / 1000)} s`,
        });
      if (code === 0) return resolve({ ok: true });
      const last = out
        .split('\n')
        .map((l) => l.trim())
        .find((l) => /error|failed|ENOTFOUND|ECONNREFUSED|EAI_AGAIN/i.test(l));
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve({
        ok: false,
        why: `the electron package's installer ${how}${last ? `: ${last}` : stdio === 'inherit' ? ' (its message is above)' : ''}`,
      });
    });
  });
}
