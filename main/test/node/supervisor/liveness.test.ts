/**
 * A hung service (SIGSTOP: it still accepts connections in the kernel's backlog, it just never answers)
 * is seen by the supervisor's timed health request: "not_responding", then "ready" again after SIGCONT,
 * without a restart. The real, built ticketing server as a process (`npx tsc -b tsconfig.build.json`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../../test/support/services.js';
import type { ServiceStatus } from '../../../src/common/host-api.js';
import { Supervisor } from '../../../src/node/supervisor/supervisor.js';
import { testSupervisorOptions } from '../../support/supervisor.js';
import { waitForStatus } from '../../support/wait.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const ticketing = (all: ServiceStatus[]) => all.find((s) => s.name === 'ticketing')!;

describe('supervisor liveness', () => {
  it('marks a stopped (hung) service "not responding" and ready again once it answers', async () => {
    const data = tempDataDir('msi-live-');
    const s = new Supervisor({
      ...testSupervisorOptions(data.dir),
      only: ['ticketing'],
      preferredPorts: { ticketing: 0 },
      restartPolicy: { livenessIntervalMs: 200, livenessTimeoutMs: 500 },
    });
    const frozen: { pid?: number } = {};
    cleanups.push(async () => {
      if (frozen.pid) process.kill(frozen.pid, 'SIGCONT');
      await s.stop();
      data.cleanup();
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    await s.start();
    const ready = ticketing(await s.whenReady(60_000));
    const pid = (frozen.pid = ready.pid!);
    // More rounds than an AbortSignal's 10 listeners: each round's wait must take its listener with it.
    await new Promise((r) => setTimeout(r, 15 * 200));
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);

    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    const hung = ticketing(
      await waitForStatus(s, (all) => ticketing(all).state === 'not_responding', 'not responding', 10_000),
    );
    // Noticed within one interval plus one timeout (and some slack for a busy machine).
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(hung.pid).toBe(pid);
    expect(hung.lastError).toBe(
      'ticketing is not responding: it did not answer its health check within 0.5 s',
    );
    expect(s.logs('ticketing').some((l) => l.text.includes('[supervisor] not responding'))).toBe(true);

    process.kill(pid, 'SIGCONT');
    const back = ticketing(
      await waitForStatus(s, (all) => ticketing(all).state === 'ready', 'ready again', 10_000),
    );
    expect(back).toMatchObject({ pid, restarts: 0 });
    expect(s.logs('ticketing').some((l) => l.text.includes('[supervisor] responding again'))).toBe(true);
  }, 90_000);
});
