/**
 * The supervisor with the real, built services as processes (`npx tsc -b tsconfig.build.json` first):
 * full start and stop, kill -9 of each service in turn, a crash loop ending in "failed", a taken
 * default port, two stacks side by side, and no process left behind — also when the supervisor
 * itself is SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDataDir } from '../../../../test/support/services.js';
import type { ServiceName, ServiceStatus } from '../../../src/common/host-api.js';
import { SERVICE_NAMES } from '../../../src/node/supervisor/services.js';
import {
  ServiceFailedError,
  Supervisor,
  type SupervisorOptions,
} from '../../../src/node/supervisor/supervisor.js';
import { testSupervisorOptions } from '../../support/supervisor.js';
import { isAlive, waitForGone, waitForStatus } from '../../support/wait.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function supervisor(opts: Partial<SupervisorOptions> = {}): Supervisor {
  const data = tempDataDir('msi-sup-');
  const s = new Supervisor({
    ...testSupervisorOptions(data.dir),
    ...opts,
  });
  cleanups.push(async () => {
    await s.stop();
    data.cleanup();
  });
  return s;
}

const byName = (all: ServiceStatus[], name: ServiceName) => all.find((s) => s.name === name)!;
const healthy = async (s: ServiceStatus) =>
  (await fetch(`${s.url}${s.name === 'chroma' ? '/api/v2/heartbeat' : '/healthz'}`)).ok;

describe('supervisor with the real services', () => {
  it('starts all five at once, restarts each after kill -9, runs beside a second stack, and stops leaving nothing', async () => {
    const a = supervisor();
    await a.start();
    const ready = await a.whenReady(90_000);
    expect(ready.map((s) => s.name)).toEqual(SERVICE_NAMES);
    for (const s of ready) {
      expect(s).toMatchObject({ state: 'ready', restarts: 0 });
      expect(s.pid).toBeGreaterThan(0);
      expect(await healthy(s), s.name).toBe(true);
    }
    expect(existsSync(join(a.context.dataDir, 'logs', 'idp.log'))).toBe(true);

    for (const name of SERVICE_NAMES) {
      const before = byName(a.status(), name);
      process.kill(before.pid!, 'SIGKILL');
      const after = byName(
        await waitForStatus(
          a,
          (all) => byName(all, name).state === 'ready' && byName(all, name).pid !== before.pid,
          `${name} restarted`,
          60_000,
        ),
        name,
      );
      expect(after.restarts).toBe(1);
      expect(after.port).toBe(before.port);
      expect(after.lastError).toBe(`${name} was killed by SIGKILL`);
      expect(await healthy(after), name).toBe(true);
      expect(a.logs(name).some((l) => l.text.includes('[supervisor] was killed by SIGKILL'))).toBe(true);
    }

    // A second stack while the first holds every default port: all its ports differ, all ready.
    const b = supervisor();
    await b.start();
    const readyB = await b.whenReady(90_000);
    for (const s of readyB) {
      expect(s.port).not.toBe(byName(a.status(), s.name).port);
      expect(await healthy(s), `second ${s.name}`).toBe(true);
    }
    const pids = [...a.pids(), ...b.pids()];
    expect(pids).toHaveLength(10);
    await Promise.all([a.stop(), b.stop()]);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(a.status().every((s) => s.state === 'stopped' && s.pid === undefined)).toBe(true);
  }, 300_000);

  it('replaces a taken port and gives the dependents the real URL', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const taken = (blocker.address() as { port: number }).port;
    const s = supervisor({ only: ['idp', 'ticketing'], preferredPorts: { ticketing: taken } });
    await s.start();
    const ready = await s.whenReady(90_000);
    const ticketing = byName(ready, 'ticketing');
    expect(ticketing.port).not.toBe(taken);
    expect(await healthy(ticketing)).toBe(true);
    // The IDP itself says which audiences it issues tokens for: the ticketing server's real URL.
    const idpSays = s
      .logs('idp')
      .map((l) => l.text)
      .find((t) => t.includes('"audiences"'));
    expect(idpSays).toBeDefined();
    expect(JSON.parse(idpSays!).audiences).toContain(ticketing.url);
    expect(idpSays).not.toContain(`:${taken}"`);
  }, 120_000);

  it('moves a service whose port is taken between choosing and binding, and restarts its dependents', async () => {
    const s = supervisor({ only: ['idp', 'ticketing'] });
    await s.start();
    // Take ticketing's chosen port before its process (still loading) can bind it.
    const chosen = s.context.ports.ticketing;
    const thief: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => thief.listen(chosen, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => thief.close(r)));
    const ready = await s.whenReady(90_000);
    const ticketing = byName(ready, 'ticketing');
    expect(ticketing.port).not.toBe(chosen);
    expect(await healthy(ticketing)).toBe(true);
    expect(
      s.logs('ticketing').some((l) => l.text.includes(`port ${chosen} was taken by another process`)),
    ).toBe(true);
    // The IDP was restarted with the new URL among its audiences.
    const idp = byName(ready, 'idp');
    expect(idp.restarts).toBe(1);
    const audiences = s
      .logs('idp')
      .map((l) => l.text)
      .filter((t) => t.includes('"audiences"'))
      .map((t) => JSON.parse(t).audiences as string[])
      .at(-1);
    expect(audiences).toContain(ticketing.url);
  }, 120_000);

  it('marks a service that keeps crashing as failed, with its last log lines, and never takes another process on its port for it', async () => {
    const s = supervisor({
      only: ['organizations'],
      // A host that does not resolve: listening fails with an unexpected error (a crash, exit 1) every time.
      envOverrides: { organizations: { HOST: 'host.invalid' } },
      restartPolicy: { baseDelayMs: 20 },
    });
    await s.start();
    // Someone else answers health on the port chosen for it: that must not count as our service.
    const impostor = createHttpServer((_req, res) => res.end(JSON.stringify({ status: 'ok', pid: 1 })));
    await new Promise<void>((r) => impostor.listen(s.context.ports.organizations, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => impostor.close(r)));
    const err = await s.whenReady(60_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceFailedError);
    const [org] = s.status();
    expect(org).toMatchObject({ name: 'organizations', state: 'failed', restarts: 2 });
    expect(org!.pid).toBeUndefined();
    expect(org!.lastError).toMatch(
      /exited with code 1; it crashed 3 times within 300 s, so it is not restarted again/,
    );
    expect(org!.lastError).toMatch(/Last log lines:\n(.*\n)*.*ENOTFOUND host\.invalid/);
    const log = readFileSync(join(s.context.dataDir, 'logs', 'organizations.log'), 'utf8');
    expect(log.match(/failed: Error: getaddrinfo ENOTFOUND host\.invalid/g)).toHaveLength(3);
    expect(log).toContain('[supervisor] failed: 3 crashes in the window; not restarting');
  }, 60_000);

  it("does not restart a service whose exit code says a restart cannot help (the kit's table), and says why", async () => {
    const config = supervisor({
      only: ['organizations'],
      envOverrides: { organizations: { PORT: 'not-a-port' } },
    });
    const dir = tempDataDir('msi-sup-bad-');
    cleanups.push(dir.cleanup);
    const file = join(dir.dir, 'ticketing', 'ticketing.sqlite');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'not a database '.repeat(100));
    const data = supervisor({ only: ['ticketing'], dataDir: dir.dir });
    await Promise.all([config.start(), data.start()]);
    for (const s of [config, data])
      await expect(s.whenReady(60_000)).rejects.toBeInstanceOf(ServiceFailedError);

    const [org] = config.status();
    expect(org).toMatchObject({ state: 'failed', restarts: 0 });
    expect(org!.lastError).toBe(
      'organizations exited with code 78 (configuration error): organizations: config: PORT must be a port number 0-65535 (got "not-a-port"); not restarted, it would fail the same way',
    );
    const [tck] = data.status();
    expect(tck).toMatchObject({ state: 'failed', restarts: 0 });
    expect(tck!.lastError).toMatch(
      /^ticketing exited with code 74 \(data dir unusable\): ticketing: .*ticketing\.sqlite is not a usable SQLite database .*; not restarted, it would fail the same way$/,
    );
    const log = readFileSync(join(dir.dir, 'logs', 'ticketing.log'), 'utf8');
    expect(log.match(/is not a usable SQLite database/g)).toHaveLength(1);
    expect(log).toContain('[supervisor] failed: data dir unusable; not restarting');
  }, 60_000);

  it('leaves no service behind when the supervisor process is killed with SIGKILL', async () => {
    const data = tempDataDir('msi-orphan-');
    cleanups.push(data.cleanup);
    const cli = spawn(process.execPath, [join(ROOT, 'main/dist/node/stack-cli.js'), '--data-dir', data.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => cli.exitCode === null && cli.kill('SIGKILL'));
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    // The CLI prints this line once stack.json says every service is ready.
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes('all services ready')) resolve();
        else if (/failed|not ready|Error/.test(out)) reject(new Error(out));
      };
      cli.stdout.on('data', check);
      cli.once('exit', () => reject(new Error(`stack exited early:\n${out}`)));
    });
    const stackJson = JSON.parse(readFileSync(join(data.dir, 'stack.json'), 'utf8')) as {
      services: Record<string, { pid: number; state: string }>;
    };
    const pids = Object.values(stackJson.services).map((s) => s.pid);
    expect(pids).toHaveLength(5);
    expect(Object.values(stackJson.services).every((s) => s.state === 'ready')).toBe(true);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    cli.kill('SIGKILL');
    await waitForGone(pids, 20_000);
  }, 180_000);
});
