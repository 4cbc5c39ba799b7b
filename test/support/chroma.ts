/**
 * Starts the real Chroma server (chromadb's bundled CLI) as a process for tests and benchmarks, on a
 * free port with its data in `dataDir`, and waits for its heartbeat. `stop()` ends it and waits for exit.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitForHealthy } from '@msi/kit';
import { ROOT } from './services.js';

export interface RunningChroma {
  url: string;
  port: number;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  stop(): Promise<void>;
}

export async function startChroma(opts: {
  dataDir: string;
  port?: number;
  timeoutMs?: number;
}): Promise<RunningChroma> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const cli = join(ROOT, 'node_modules', 'chromadb', 'dist', 'cli.mjs');
  const proc = spawn(
    process.execPath,
    [cli, 'run', '--path', opts.dataDir, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ac = new AbortController();
  proc.once('exit', (code) => ac.abort(`chroma exited with code ${code}: ${out.slice(-2000)}`));
  try {
    await waitForHealthy(`${url}/api/v2/heartbeat`, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      signal: ac.signal,
    });
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`chroma did not start: ${(err as Error).message}\n${out.slice(-2000)}`);
  }
  return {
    url,
    port,
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
