/**
 * What `npm start` runs: Electron when it can (the binary there, or fetched now by the electron
 * package's own installer, and a display), else the same app in browser mode with the reason and the
 * one command that gets the binary later. Plain Node, with its parts passed in so tests drive it.
 */
import type { ElectronBinary } from './electron-binary.js';
import { INSTALL_COMMAND, type InstallResult } from './electron-install.js';

export type Launch =
  { shell: 'electron'; binary: string } | { shell: 'browser'; why: string; later: string | undefined };

export interface LaunchDeps {
  find(): ElectronBinary;
  /** Why no window can open here, or undefined. */
  noDisplay(): string | undefined;
  install(): Promise<InstallResult>;
  /** One line for the person at the terminal. */
  say(line: string): void;
  /** The electron package's version and whether this Node meets its installer's engines (undefined: not known). */
  electron?: { version: string; nodeRange: string | undefined; nodeOk: boolean | undefined; node: string };
  installTimeoutMs: number;
}

export const LATER = `to get the Electron binary later: ${INSTALL_COMMAND}, then npm start`;

export async function chooseShell(deps: LaunchDeps): Promise<Launch> {
  const first = deps.find();
  if (first.ok) {
    const why = deps.noDisplay();
    return why ? { shell: 'browser', why, later: undefined } : { shell: 'electron', binary: first.binary };
  }
  if (first.reason !== 'missing') return { shell: 'browser', why: first.why, later: undefined };
  const display = deps.noDisplay();
  // A window could not open anyway: no point downloading ~100 MB now.
  if (display)
    return {
      shell: 'browser',
      why: `${display}; the Electron binary is not downloaded either`,
      later: LATER,
    };
  const e = deps.electron;
  deps.say(
    `start: the Electron${e ? ` ${e.version}` : ''} binary is not downloaded yet; running the electron package's installer ` +
      `(${INSTALL_COMMAND}; at most ${Math.round(deps.installTimeoutMs / 1000)} s)…`,
  );
  if (e && e.nodeOk === false)
    deps.say(
      `start: note: Electron ${e.version}'s installer is made for Node ${e.nodeRange} and this is Node ${e.node}; ` +
        'if it fails, the desktop app needs that Node (the stack and the tests run on Node 20.19+).',
    );
  const installed = await deps.install();
  if (!installed.ok) {
    const node =
      e && e.nodeOk === false ? ` (Node ${e.node}; Electron ${e.version} wants Node ${e.nodeRange})` : '';
    return { shell: 'browser', why: `${installed.why}${node}`, later: LATER };
  }
  const again = deps.find();
  if (!again.ok) return { shell: 'browser', why: `after the installer ran, ${again.why}`, later: LATER };
  return { shell: 'electron', binary: again.binary };
}

/** The line `npm start` prints before it opens the browser mode. */
export function fallbackLine(l: Extract<Launch, { shell: 'browser' }>): string {
  return (
    `start: Electron cannot run here (${l.why}); starting the same app in browser mode: npm run stack -- --open` +
    (l.later ? `\nstart: ${l.later}` : '')
  );
}
