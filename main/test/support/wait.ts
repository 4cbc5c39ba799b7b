/** Waiting on state for the shell's tests: status events, and processes going away. */
import type { ServiceStatus } from '../../src/common/host-api.js';

export interface StatusSource {
  on(event: 'status', fn: (s: ServiceStatus[]) => void): unknown;
  off(event: 'status', fn: (s: ServiceStatus[]) => void): unknown;
  getStatus?(): Promise<ServiceStatus[]>;
  status?(): ServiceStatus[];
}

/** Resolves with the first status list (current or emitted) that satisfies `pred`. */
export function waitForStatus(
  src: StatusSource,
  pred: (s: ServiceStatus[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<ServiceStatus[]> {
  return new Promise((resolve, reject) => {
    let last: ServiceStatus[] = [];
    const check = (s: ServiceStatus[]) => {
      last = s;
      if (pred(s)) {
        clearTimeout(timer);
        src.off('status', check);
        resolve(s);
      }
    };
    const timer = setTimeout(() => {
      src.off('status', check);
      reject(
        new Error(
          `timed out waiting for ${what}; last: ${last.map((x) => `${x.name}:${x.state}`).join(' ')}`,
        ),
      );
    }, timeoutMs);
    src.on('status', check);
    if (src.status) check(src.status());
    else void src.getStatus?.().then(check);
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of `pids` exists (a process's end has no event we can subscribe to from outside). */
export async function waitForGone(pids: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline)
      throw new Error(`still alive after ${timeoutMs} ms: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
