/**
 * `npm start` (after the build): the Electron app on the local stack — or, where Electron cannot run
 * (no binary downloaded, no display), one line saying why and the same app in the browser
 * (`npm run stack -- --open`). Looks for the binary the way the electron package does, without its
 * download-on-require.
 */
import { spawn } from 'node:child_process';
import { findElectron, noDisplay } from './electron-binary.js';
import { REPO_ROOT } from './layout.js';
import { runStack } from './stack-cli.js';

const binary = findElectron();
const why = binary.ok ? noDisplay() : binary.why;
const found = binary.ok && !why ? binary : { ok: false as const, why };
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
