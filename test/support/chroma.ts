/**
 * Starts the real Chroma server (`node services/chroma`, chromadb's own server) as a process for tests and benchmarks, on a
 * free port with its data in `dataDir`, and waits for its heartbeat. `stop()` ends it and waits for exit.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '@msi/kit';
import { ROOT, startProcess } from './services.js';

export interface RunningChroma {
  url: string;
  /** Its token, when started with one (`token: true` or a string): give it to the API as CHROMA_TOKEN. */
  token?: string;
  port: number;
  /** The server's process (tests stop and continue it to make Chroma hang). */
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  stop(): Promise<void>;
}

export async function startChroma(opts: {
  dataDir: string;
  port?: number;
  timeoutMs?: number;
  /** Start it with token auth (a fresh random token for `true`). */
  token?: boolean | string;
}): Promise<RunningChroma> {
  const port = opts.port ?? (await freePort());
  const token =
    opts.token === true ? randomBytes(24).toString('base64url') : opts.token ? opts.token : undefined;
  const url = `http://127.0.0.1:${port}`;
  const { proc, output, stop } = await startProcess({
    name: 'chroma',
    args: [join(ROOT, 'services', 'chroma')],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      CHROMA_PATH: opts.dataDir,
      ...(token ? { CHROMA_TOKEN: token } : {}),
    },
    healthUrl: `${url}/api/v2/heartbeat`,
    timeoutMs: opts.timeoutMs,
  });
  return { url, port, proc, output, stop, ...(token ? { token } : {}) };
}
