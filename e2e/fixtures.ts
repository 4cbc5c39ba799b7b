/**
 * The two ways the suite runs the app, behind the same fixtures so every spec runs in both projects:
 *
 * - `web`: the whole real stack started by the suite (`node main/dist/node/stack-cli.js --data-dir <fresh
 *   temp dir>`, the same as `npm run stack`), and Chromium against the renderer URL from stack.json.
 * - `electron`: the built Electron main process (root package.json "main") with a fresh data dir, driven
 *   through `_electron.launch`. Skipped, with the reason, where the Electron binary is not installed.
 * - `topology`: `npm run topology` (main/dist/node/topology/cli.js) on free ports with PostgreSQL databases
 *   of its own (dropped afterwards), Chromium with `ignoreHTTPSErrors` against nginx's renderer, and this
 *   worker's fetch trusting the topology's certificate (test/support/tls-fetch.ts).
 *
 * `stack` is worker-scoped (one stack per worker; a spec that restarts or reconfigures services asks for
 * its own with `test.use({ ownStack: true })`). `app` is test-scoped: a fresh, signed-out page on the
 * renderer. Both wait on what the app emits (stack.json states, the pages' own attributes), never on sleeps.
 */
import {
  test as base,
  expect,
  _electron,
  type Browser,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findElectron, noDisplay } from '../main/src/node/electron-binary.js';
import { isAlive, ROOT } from '../test/support/services.js';
import { trustCertificate } from '../test/support/tls-fetch.js';
import { freePort } from '@msi/kit/net';
import { dropDatabases, freePortRun } from '../main/src/node/topology/infra.js';
import { DATABASE_SERVICES, databaseName } from '../main/src/node/topology/plan.js';
import { readTopology } from './support/topology.js';
import {
  readStack,
  serviceUrl,
  waitForStackReady,
  type ServiceName,
  type StackInfo,
} from './support/stack-file.js';

/** `topology`: the production picture (npm run topology: nginx, PostgreSQL, 3 API instances) over https. */
export type Shell = 'web' | 'electron' | 'topology';

export interface RunningStack {
  shell: Shell;
  dataDir: string;
  /** Where the renderer is served. */
  rendererUrl: string;
  /** The current stack.json (throws when it cannot be read). */
  info(): StackInfo;
  /** A service's current URL from stack.json. */
  url(name: ServiceName): string;
  /** The stack command's (or Electron's) output so far. */
  log(): string;
  electron?: ElectronApplication;
  /** Why this project cannot run here (the tests are skipped with this message). */
  unavailable?: string;
  /** Topology: a free port whose loopback origin the IDP and API accept (a desktop host in Remote mode). */
  desktopHostPort?: number;
}

/** The stack command (`npm run stack`); E2E_STACK_CLI points elsewhere (a `.ts` file runs through tsx). */
export const STACK_CLI = process.env.E2E_STACK_CLI ?? join(ROOT, 'main', 'dist', 'node', 'stack-cli.js');
const STACK_START_TIMEOUT_MS = Number(process.env.E2E_STACK_TIMEOUT_MS ?? 240_000);
/** The topology command (`npm run topology`). */
export const TOPOLOGY_CLI = join(ROOT, 'main', 'dist', 'node', 'topology', 'cli.js');

/** The Electron binary (main's finder: the electron package's dist, or ELECTRON_PATH) and a display, or why not. */
export function electronBinary(): { path: string } | { missing: string } {
  const found = findElectron();
  if (!found.ok) return { missing: found.why };
  const why = noDisplay();
  return why ? { missing: why } : { path: found.binary };
}

/** Copies the services' own logs (DATA_DIR/logs) next to the stack log, for a stack that failed. */
function keepServiceLogs(dataDir: string, dest: string): void {
  try {
    cpSync(join(dataDir, 'logs'), dest, { recursive: true });
  } catch {
    // no logs yet
  }
}

function tail(file: string, lines = 150): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const exited = (proc: ChildProcess) =>
  proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => proc.once('exit', () => r()));

async function within(ms: number, p: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = await Promise.race([p.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/** After the stack stopped: every service pid it reported must be gone. Kills leftovers and says so. */
async function checkNothingLeft(last: StackInfo | undefined): Promise<string[]> {
  const pids = Object.values(last?.services ?? {}).flatMap((s) =>
    s?.pid ? [{ name: s.name, pid: s.pid }] : [],
  );
  const deadline = Date.now() + 10_000;
  while (pids.some((p) => isAlive(p.pid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter((p) => isAlive(p.pid));
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.map((p) => `${p.name} (pid ${p.pid})`);
}

function stackHandle(
  shell: Shell,
  dataDir: string,
  logFile: string,
  extra: {
    electron?: ElectronApplication;
    log?: () => string;
    unavailable?: string;
    desktopHostPort?: number;
  } = {},
): RunningStack {
  const info = () => {
    const s = readStack(dataDir);
    if (!s) throw new Error(`cannot read ${join(dataDir, 'stack.json')}`);
    return s;
  };
  return {
    shell,
    dataDir,
    get rendererUrl() {
      return info().rendererUrl.replace(/\/+$/, '');
    },
    info,
    url: (name) => serviceUrl(dataDir, name),
    log: extra.log ?? (() => tail(logFile, 400)),
    electron: extra.electron,
    unavailable: extra.unavailable,
    desktopHostPort: extra.desktopHostPort,
  };
}

/** Each process of a running topology (its topology.json): instances, nginx, its own Redis. */
function topologyProcesses(dataDir: string): { name: string; pid: number }[] {
  try {
    const t = readTopology(dataDir);
    return [
      ...t.instances.flatMap((i) => (i.pid ? [{ name: i.id, pid: i.pid }] : [])),
      ...(t.nginx.pid ? [{ name: 'nginx', pid: t.nginx.pid }] : []),
    ];
  } catch {
    return [];
  }
}

async function pidsLeft(pids: { name: string; pid: number }[]): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  while (pids.some((p) => isAlive(p.pid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter((p) => isAlive(p.pid));
  for (const p of left) process.kill(p.pid, 'SIGKILL');
  return left.map((p) => `${p.name} (pid ${p.pid})`);
}

/** The topology's arguments for one worker: free ports, databases of its own (dropped afterwards). */
async function topologyArgs(): Promise<{ args: string[]; desktopHostPort: number; drop(): Promise<void> }> {
  const prefix = `msi_e2e_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const db = process.env.MSI_TEST_DATABASE_URL || 'postgres://root@127.0.0.1:5432';
  const port = await freePortRun(5);
  let desktopHostPort = await freePort();
  while (desktopHostPort >= port && desktopHostPort < port + 5) desktopHostPort = await freePort();
  return {
    desktopHostPort,
    args: [
      ...['--port', String(port), '--db-prefix', prefix, '--database-url', db],
      ...['--allow-origin', `http://127.0.0.1:${desktopHostPort}`],
    ],
    drop: () =>
      dropDatabases(
        db,
        DATABASE_SERVICES.map((s) => databaseName(prefix, s)),
      ),
  };
}

/** The Electron window that shows the renderer (not the splash), as soon as it exists. */
async function appWindow(electron: ElectronApplication, rendererUrl: string): Promise<Page> {
  const deadline = Date.now() + STACK_START_TIMEOUT_MS;
  for (;;) {
    const found = electron.windows().find((w) => w.url().startsWith(rendererUrl));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no Electron window on ${rendererUrl}`);
    // Wake on the next new window or navigation of an existing one (short timeouts re-check the list).
    await Promise.race([
      electron.waitForEvent('window', { timeout: 2_000 }).catch(() => undefined),
      ...electron
        .windows()
        .map((w) => w.waitForURL(`${rendererUrl}/**`, { timeout: 2_000 }).catch(() => undefined)),
    ]);
  }
}

export const test = base.extend<
  { app: Page; _diagnostics: void },
  { shell: Shell; ownStack: boolean; stack: RunningStack; webBrowser: Browser | undefined }
>({
  shell: ['web', { scope: 'worker', option: true }],
  ownStack: [false, { scope: 'worker', option: true }],

  stack: [
    async ({ shell, ownStack }, use, workerInfo) => {
      const dataDir = mkdtempSync(join(tmpdir(), `msi-e2e-${shell}${ownStack ? '-own' : ''}-`));
      const logDir = join(workerInfo.project.outputDir, 'stack-logs');
      mkdirSync(logDir, { recursive: true });
      const logFile = join(logDir, `${shell}-worker${workerInfo.workerIndex}-${Date.now()}.log`);
      const env: Record<string, string | undefined> = {
        ...process.env,
        MSI_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
      };
      // The offline provider: no model, deterministic answers (DESIGN.md: the default without a key).
      delete env.OPENAI_API_KEY;
      delete env.OPENAI_BASE_URL;

      if (shell === 'electron') {
        const bin = electronBinary();
        if ('missing' in bin) {
          const reason = `electron: skipped — Electron cannot run on this machine (${bin.missing})`;
          console.log(reason);
          await use(
            stackHandle(shell, dataDir, logFile, {
              unavailable: reason,
            }),
          );
          rmSync(dataDir, { recursive: true, force: true });
          return;
        }
        const app = await _electron.launch({
          executablePath: bin.path,
          args: [ROOT, '--data-dir', dataDir],
          env: env as Record<string, string>,
          timeout: STACK_START_TIMEOUT_MS,
        });
        const out: string[] = [];
        app.process().stdout?.on('data', (d) => out.push(String(d)));
        app.process().stderr?.on('data', (d) => out.push(String(d)));
        let failure: unknown;
        try {
          await waitForStackReady(dataDir, { timeoutMs: STACK_START_TIMEOUT_MS });
          await use(
            stackHandle(shell, dataDir, logFile, { electron: app, log: () => out.join('').slice(-40_000) }),
          );
        } catch (err) {
          failure = err;
        }
        const last = readStack(dataDir);
        await app.close().catch(() => undefined);
        const left = await checkNothingLeft(last);
        rmSync(dataDir, { recursive: true, force: true });
        if (failure) throw failure;
        if (left.length) throw new Error(`the Electron app left processes behind: ${left.join(', ')}`);
        return;
      }

      const topology = shell === 'topology' ? await topologyArgs() : undefined;
      const cli = topology ? TOPOLOGY_CLI : STACK_CLI;
      if (!existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`);
      const fd = openSync(logFile, 'a');
      const nodeArgs = cli.endsWith('.ts') ? ['--import', 'tsx'] : [];
      const proc = spawn(
        process.execPath,
        [...nodeArgs, cli, '--data-dir', dataDir, ...(topology?.args ?? [])],
        {
          cwd: ROOT,
          env,
          stdio: ['ignore', fd, fd],
        },
      );
      closeSync(fd);
      let exitInfo: string | undefined;
      proc.once(
        'exit',
        (code, signal) => (exitInfo = `the stack command exited (code ${code}, signal ${signal})`),
      );
      let failure: unknown;
      try {
        await waitForStackReady(dataDir, {
          timeoutMs: STACK_START_TIMEOUT_MS,
          failed: () => exitInfo && `${exitInfo}\n${tail(logFile)}`,
        }).catch((err: Error) => {
          throw new Error(`${err.message}\n--- stack log (${logFile}) ---\n${tail(logFile)}`);
        });
        // Node's fetch in this worker (sign-in and API helpers) trusts the topology's certificate.
        const untrust = topology
          ? trustCertificate(readFileSync(readTopology(dataDir).certFile, 'utf8'))
          : undefined;
        try {
          await use(
            stackHandle(
              shell,
              dataDir,
              logFile,
              topology ? { desktopHostPort: topology.desktopHostPort } : {},
            ),
          );
        } finally {
          untrust?.();
        }
      } catch (err) {
        failure = err;
      }
      // Stop the stack the way a person does (SIGTERM to the stack command), then check nothing is left.
      const last = readStack(dataDir);
      const topologyPids = topology ? topologyProcesses(dataDir) : [];
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        if (!(await within(30_000, exited(proc)))) {
          proc.kill('SIGKILL');
          await exited(proc);
        }
      }
      const left = [...(await checkNothingLeft(last)), ...(await pidsLeft(topologyPids))];
      await topology?.drop().catch((err: Error) => console.error(`topology databases: ${err.message}`));
      if (failure) keepServiceLogs(dataDir, `${logFile.replace(/\.log$/, '')}-services`);
      if (!process.env.E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
      if (failure) throw failure;
      if (left.length)
        throw new Error(`the stack command left processes behind after SIGTERM: ${left.join(', ')}`);
    },
    { scope: 'worker', timeout: STACK_START_TIMEOUT_MS + 60_000 },
  ],

  webBrowser: [
    async ({ shell, playwright, launchOptions }, use) => {
      if (shell === 'electron') return use(undefined);
      const browser = await playwright.chromium.launch(launchOptions);
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],

  app: async ({ stack, webBrowser, ignoreHTTPSErrors }, use, testInfo) => {
    if (stack.unavailable) {
      testInfo.skip(true, stack.unavailable);
      return;
    }
    if (stack.electron) {
      // The splash comes first; the app window is the one on the renderer's URL.
      const window = await appWindow(stack.electron, stack.rendererUrl);
      await window.context().clearCookies();
      await window.goto(stack.rendererUrl);
      await window.evaluate('sessionStorage.clear(); localStorage.clear()');
      await window.goto(stack.rendererUrl);
      await use(window);
      return;
    }
    // The topology's nginx has a self-signed certificate (its project sets ignoreHTTPSErrors).
    const context = await webBrowser!.newContext({ baseURL: stack.rendererUrl, ignoreHTTPSErrors });
    const page = await context.newPage();
    await page.goto('/');
    await use(page);
    await context.close();
  },

  /** On failure: attach stack.json and the tail of the stack's log next to the trace and screenshot. */
  _diagnostics: [
    async ({ stack }, use, testInfo) => {
      await use();
      if (testInfo.status === testInfo.expectedStatus || stack.unavailable) return;
      const json = readStack(stack.dataDir)?.raw;
      await testInfo.attach('stack.json', {
        body: JSON.stringify(json ?? null, null, 2),
        contentType: 'application/json',
      });
      await testInfo.attach('stack.log', { body: stack.log(), contentType: 'text/plain' });
      for (const name of ['idp', 'ticketing', 'organizations', 'chroma', 'api']) {
        const body = tail(join(stack.dataDir, 'logs', `${name}.log`), 80);
        if (body) await testInfo.attach(`${name}.log`, { body, contentType: 'text/plain' });
      }
    },
    { auto: true },
  ],
});

export { expect };

/** A label unique to this test run, for titles and messages that must not collide with other tests. */
export function uniqueTag(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
