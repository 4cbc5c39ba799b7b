/**
 * `npm start` (after the build): the Electron app on the local stack. When the Electron binary is
 * missing the electron package's own installer fetches it (progress shown, bounded by
 * MSI_ELECTRON_INSTALL_TIMEOUT_MS, default 5 min); where Electron still cannot run (no network, no
 * display) one line says why, one names the command that gets the binary later, and the same app
 * opens in the browser (`npm run stack -- --open`). The decision is launch.ts's.
 */
import { spawn } from 'node:child_process';
import { electronPackageDir, findElectron, noDisplay } from './electron-binary.js';
import { electronPackageInfo, meetsMinimum, runElectronInstaller } from './electron-install.js';
import { REPO_ROOT } from './layout.js';
import { chooseShell, fallbackLine } from './launch.js';
import { runStack } from './stack-cli.js';

const installTimeoutMs = Number(process.env.MSI_ELECTRON_INSTALL_TIMEOUT_MS ?? 300_000);
const pkgDir = electronPackageDir();
const info = pkgDir ? electronPackageInfo(pkgDir) : undefined;

const launch = await chooseShell({
  find: () => findElectron(),
  noDisplay: () => noDisplay(),
  install: () => runElectronInstaller({ pkgDir: pkgDir!, timeoutMs: installTimeoutMs }),
  say: (line) => console.log(line),
  electron: info && {
    ...info,
    node: process.version,
    nodeOk: meetsMinimum(info.nodeRange, process.version),
  },
  installTimeoutMs,
});

const args = process.argv.slice(2);
if (launch.shell === 'electron') {
  const child = spawn(launch.binary, [REPO_ROOT, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log(fallbackLine(launch));
  await runStack([...args, '--open']);
}
