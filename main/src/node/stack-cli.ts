/**
 * `npm run stack [-- --data-dir DIR] [--mode local|remote] [--issuer URL --api-url URL] [--client-id ID]
 * [--scopes "openid …"] [--port N] [--open]`:
 * the whole app without Electron. Prints the URL and each service's state as it changes, keeps
 * DIR/stack.json current, and stops everything on Ctrl-C / SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT, type ExitCode } from '@msi/kit/exit-codes';
import type { ServiceStatus } from '../common/host-api.js';
import { DataDirProblem } from './data-dir.js';
import { noDisplay } from './electron-binary.js';
import { watchIngestion } from './ingestion-watch.js';
import { SettingsProblem } from './settings.js';
import { PortInUse, Stack } from './stack.js';
import { HostRequestError } from './host/host.js';

const USAGE =
  'usage: npm run stack -- [--data-dir DIR] [--mode local|remote] [--issuer URL] [--api-url URL] [--client-id ID] [--scopes "openid …"] [--port N] [--open]';

export async function runStack(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        mode: { type: 'string' },
        issuer: { type: 'string' },
        'api-url': { type: 'string' },
        'client-id': { type: 'string' },
        scopes: { type: 'string' },
        port: { type: 'string' },
        open: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`, EXIT.usage);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.mode !== undefined && values.mode !== 'local' && values.mode !== 'remote') {
    return fail(`--mode must be local or remote (got ${values.mode})\n${USAGE}`, EXIT.usage);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    return fail(`--port must be a port number 1-65535 (got ${values.port})`, EXIT.usage);
  }
  const dataDir = values['data-dir'] ?? process.env.MSI_DATA_DIR ?? './.data';

  let stack: Stack;
  try {
    stack = new Stack({ dataDir, shell: 'browser', ...(port ? { hostPort: port } : {}) });
    const remote = {
      ...(values.issuer ? { issuer: values.issuer } : {}),
      ...(values['api-url'] ? { apiUrl: values['api-url'] } : {}),
      ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
      ...(values.scopes ? { scopes: values.scopes } : {}),
    };
    if (values.mode || Object.keys(remote).length) {
      stack.settings.update({
        ...(values.mode ? { mode: values.mode as 'local' | 'remote' } : {}),
        ...(Object.keys(remote).length ? { remote } : {}),
      });
    }
  } catch (err) {
    if (err instanceof DataDirProblem) return fail(err.message, EXIT.dataUnusable);
    if (err instanceof SettingsProblem) return fail(err.message, EXIT.config);
    throw err;
  }

  // The API's folder appears on its first start: until then, the documentation is still to be ingested.
  const firstStart = !existsSync(join(stack.dataDir, 'api'));
  let last = '';
  const print = (status: ServiceStatus[]) => {
    const line = status
      .map((s) => `${s.name} ${s.state}${s.state === 'ready' ? ` :${s.port}` : ''}`)
      .join(' · ');
    if (line && line !== last) console.log(`  ${line}`);
    last = line;
    for (const s of status) if (s.state === 'failed' && s.lastError) console.error(`stack: ${s.lastError}`);
  };
  stack.on('status', print);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`stack: ${signal}, stopping…`);
    await stack.stop();
    console.log('stack: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));

  try {
    await stack.start();
  } catch (err) {
    if (err instanceof PortInUse || err instanceof HostRequestError) return fail(err.message, EXIT.portInUse);
    await stack.stop().catch(() => undefined);
    throw err;
  }
  const mode = stack.settings.stored.mode;
  console.log(`MSI Assistant (${mode} mode): ${stack.rendererUrl}   data: ${stack.dataDir}   Ctrl-C stops`);
  const t = performance.now();
  try {
    await stack.whenReady();
    if (mode === 'local') console.log(`stack: all services ready in ${Math.round(performance.now() - t)} ms`);
    else
      console.log(
        `stack: remote mode: IDP ${stack.rendererConfig().issuer}, API ${stack.rendererConfig().apiUrl}`,
      );
  } catch (err) {
    console.error(`stack: ${(err as Error).message} (the others keep running; see ${stack.dataDir}/logs)`);
  }
  if (values.open) openBrowser(stack.rendererUrl);
  if (mode === 'local')
    void watchIngestion(stack.rendererConfig().apiUrl, (line) => console.log(line), { firstStart });
}

/** The system's browser on `url`; without a display (or a browser) one line says to open it by hand. */
function openBrowser(url: string): void {
  const cannot = (why: string) =>
    console.log(`stack: no browser could be opened (${why}); open the URL above: ${url}`);
  const display = noDisplay();
  if (display) return cannot(display);
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.once('error', (err) => cannot(`${cmd}: ${err.message}`));
  // explorer.exe exits 1 even when it opened the page.
  if (process.platform !== 'win32')
    child.once('exit', (code) => code !== 0 && code !== null && cannot(`${cmd} exited with code ${code}`));
  child.unref();
}

function fail(message: string, code: ExitCode): never {
  console.error(`stack: ${message}`);
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStack(process.argv.slice(2)).catch((err: Error) => fail(err.stack ?? err.message, EXIT.crash));
}
