/**
 * `npm start` (after the build): the Electron app on the local stack — or, where Electron cannot run
 * (no binary downloaded, no display), one line saying why and the same app in the browser
 * (`npm run stack -- --open`). Looks for the binary the way the electron package does, without its
 * download-on-require.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './layout.js';
import { runStack } from './stack-cli.js';

export function findElectron(
  env: NodeJS.ProcessEnv = process.env,
): { ok: true; binary: string } | { ok: false; why: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('electron'));
  } catch {
    return { ok: false, why: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, name ?? 'electron')
    : name && join(pkgDir, 'dist', name);
  if (!binary || !existsSync(binary))
    return {
      ok: false,
      why: 'the Electron binary was never downloaded (node_modules/electron/dist is missing)',
    };
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { ok: false, why: `the Electron binary ${binary} is not executable` };
  }
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, why: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { ok: true, binary };
}

const found = findElectron();
const args = process.argv.slice(2);
if (found.ok) {
  const child = spawn(found.binary, [REPO_ROOT, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log(
    `start: Electron cannot run here (${found.why}); starting the same app in browser mode: npm run stack -- --open`,
  );
  await runStack([...args, '--open']);
}
