/**
 * Starts our own built services as real processes for integration tests (`npm run build` first).
 * Each gets a free port and the environment DESIGN.md names; `stop()` ends it and waits for exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForHealthy } from '@msi/kit';

// main's tests take it from here.
export { tempDataDir } from './data-dir.js';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export type ServiceName = 'idp' | 'ticketing' | 'organizations' | 'api';

export interface RunningService {
  name: ServiceName;
  url: string;
  port: number;
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  stop(): Promise<void>;
}

export async function startService(
  name: ServiceName,
  env: Record<string, string | undefined>,
  opts: { port?: number; timeoutMs?: number } = {},
): Promise<RunningService> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess({
    name,
    args: [join(ROOT, 'services', name)],
    env: { LOG_LEVEL: 'warn', PORT: String(port), PUBLIC_URL: url, ...env },
    healthUrl: `${url}/healthz`,
    timeoutMs: opts.timeoutMs,
  });
  return { name, url, port, ...proc };
}

export interface RunningProcess {
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` with only PATH/HOME from our environment plus `env`, and waits until `healthUrl`
 * answers; a process that exits first fails at once with its last output.
 */
export async function startProcess(opts: {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  healthUrl: string;
  timeoutMs?: number | undefined;
}): Promise<RunningProcess> {
  const proc = spawn(process.execPath, opts.args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ac = new AbortController();
  proc.once('exit', (code) => ac.abort(`${opts.name} exited with code ${code}: ${out.slice(-2000)}`));
  try {
    await waitForHealthy(opts.healthUrl, { timeoutMs: opts.timeoutMs ?? 30_000, signal: ac.signal });
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${opts.name} did not start: ${(err as Error).message}\n${out.slice(-2000)}`);
  }
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/**
 * Runs `node services/<name> [...args]` to its end with only PATH from our environment plus `env` (for
 * a start that must fail, or a command): exit code, stdout and stderr.
 */
export function runToExit(
  name: ServiceName,
  env: Record<string, string | undefined>,
  args: string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'services', name), ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 30_000,
    // A service that hangs must fail its test, not block the whole run: spawnSync cannot be interrupted.
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a process with this pid exists (one we may not signal counts: it exists). */
export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
