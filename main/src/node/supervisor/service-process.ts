/**
 * One supervised child process: spawn, wait for its health endpoint, restart with backoff after an
 * unexpected exit, give up ("failed") after too many crashes in a window, stop with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EXIT, exitMeaning } from '@msi/kit/exit-codes';
import { probeHealth } from '@msi/kit/net';
import type { ServiceName, ServiceState, ServiceStatus } from '../../common/host-api.js';
import type { AppLayout } from '../layout.js';
import type { ServiceLog } from './logs.js';
import type { ServiceSpec, StackContext } from './services.js';

export interface RestartPolicy {
  /** This many unexpected exits within `windowMs` mark the service failed. */
  maxCrashes: number;
  windowMs: number;
  /** Backoff before restart n: baseDelayMs * 2^(n-1), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A start that is not healthy by then counts as a crash. */
  readyTimeoutMs: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs: number;
  /** A ready service's health is checked this often... */
  livenessIntervalMs: number;
  /** ...and one that does not answer within this long is "not responding" (a hung process still accepts
   *  connections in the kernel's backlog: only a request with a timeout notices). */
  livenessTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxCrashes: 3,
  windowMs: 5 * 60_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  readyTimeoutMs: 60_000,
  stopGraceMs: 5_000,
  livenessIntervalMs: 2_000,
  livenessTimeoutMs: 3_000,
};

export class ServiceProcess {
  private proc: ChildProcess | undefined;
  private state: ServiceState = 'stopped';
  private readyAt: number | undefined;
  private restarts = 0;
  private crashes: number[] = [];
  private lastError: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthAbort: AbortController | undefined;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  /** Output from the child while its health is polled: probe again now (a service logs when it listens). */
  private outputSeen = false;
  private wakePoll: (() => void) | undefined;

  constructor(
    readonly spec: ServiceSpec,
    private readonly layout: AppLayout,
    private readonly context: () => StackContext,
    readonly log: ServiceLog,
    private readonly policy: RestartPolicy,
    private readonly onChange: () => void,
    private readonly envOverride: Record<string, string> = {},
    /** Called when the child could not bind its port (exit 98 before ready): the caller picks another. */
    private readonly onPortInUse?: () => Promise<void>,
  ) {}

  get name(): ServiceName {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  status(): ServiceStatus {
    const ctx = this.context();
    return {
      name: this.name,
      state: this.state,
      url: ctx.urls[this.name],
      port: ctx.ports[this.name],
      ...(this.proc?.pid ? { pid: this.proc.pid } : {}),
      ...(this.state === 'ready' && this.readyAt ? { uptimeMs: Date.now() - this.readyAt } : {}),
      restarts: this.restarts,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  start(): void {
    this.stopping = false;
    this.spawnNow('starting');
  }

  /** A restart the person asked for: forgets earlier crashes (a failed service gets a fresh chance). */
  async restart(): Promise<void> {
    await this.stop();
    this.crashes = [];
    this.lastError = undefined;
    this.restarts++;
    this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.healthAbort?.abort('stopping');
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const kill = setTimeout(() => {
        this.log.note(`did not stop within ${this.policy.stopGraceMs} ms; sending SIGKILL`);
        proc.kill('SIGKILL');
      }, this.policy.stopGraceMs);
      await this.exited;
      clearTimeout(kill);
    }
    if (this.state !== 'stopped') this.setState('stopped');
  }

  private spawnNow(state: 'starting' | 'restarting'): void {
    const ctx = this.context();
    const env = {
      PATH: process.env.PATH ?? '',
      ...this.layout.node.env,
      ...this.spec.env(ctx),
      ...this.envOverride,
    };
    const args = this.spec.args(this.layout, ctx);
    // Own process group (POSIX): a Ctrl-C in the terminal reaches only the supervisor, which then stops
    // the services itself instead of racing their exits against its restart logic.
    const proc = spawn(this.layout.node.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.layout.root,
      detached: process.platform !== 'win32',
    });
    this.proc = proc;
    this.readyAt = undefined;
    const onOutput = (stream: 'stdout' | 'stderr') => (d: Buffer) => {
      this.log.write(stream, d);
      this.outputSeen = true;
      this.wakePoll?.();
    };
    proc.stdout!.on('data', onOutput('stdout'));
    proc.stderr!.on('data', onOutput('stderr'));
    this.exited = new Promise((resolve) => proc.once('close', () => resolve()));
    proc.once('error', (err) => this.log.note(`could not start: ${err.message}`));
    proc.once('close', (code, signal) => this.onExit(proc, code, signal));
    this.log.note(`started pid ${proc.pid ?? '?'} on port ${ctx.ports[this.name]}`);
    this.setState(state);
    void this.waitReady(proc, ctx.urls[this.name] + this.spec.healthPath);
  }

  private async waitReady(proc: ChildProcess, url: string): Promise<void> {
    const abort = new AbortController();
    this.healthAbort = abort;
    proc.once('close', () => abort.abort('exited'));
    try {
      await this.pollHealth(proc, url, abort.signal);
    } catch (err) {
      if (abort.signal.aborted || this.proc !== proc) return;
      this.log.note(`not healthy: ${(err as Error).message}; killing it`);
      this.lastError = `not healthy within ${this.policy.readyTimeoutMs} ms`;
      proc.kill('SIGKILL');
      return;
    }
    if (this.proc !== proc || this.stopping) return;
    this.readyAt = Date.now();
    this.log.note('ready');
    this.setState('ready');
    void this.watchLiveness(url, abort.signal);
  }

  /**
   * While the child runs: a health request every livenessIntervalMs with a timeout. No answer in time
   * (or an error answer) makes it "not responding"; the next good answer makes it ready again. An exit
   * is handled by onExit (the signal is aborted then).
   */
  private async watchLiveness(url: string, signal: AbortSignal): Promise<void> {
    const { livenessIntervalMs: every, livenessTimeoutMs: timeoutMs } = this.policy;
    while (!signal.aborted) {
      // The abort listener goes with each wait: one left behind per round would pile up for the child's life.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, every);
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) return;
      let problem: string | undefined;
      try {
        const res = await probeHealth(url, { signal, timeoutMs });
        if (res.status < 200 || res.status >= 300) problem = `its health check answered HTTP ${res.status}`;
      } catch (err) {
        if (signal.aborted) return;
        problem = /no answer within/.test((err as Error).message)
          ? `it did not answer its health check within ${timeoutMs / 1000} s`
          : `its health check failed: ${(err as Error).message}`;
      }
      if (signal.aborted || this.stopping) return;
      if (problem && this.state === 'ready') {
        this.lastError = `${this.name} is not responding: ${problem}`;
        this.log.note(`not responding: ${problem}`);
        this.setState('not_responding');
      } else if (!problem && this.state === 'not_responding') {
        this.log.note('responding again');
        this.setState('ready');
      }
    }
  }

  /**
   * Polls until the health endpoint answers 2xx — from this child, when the answer names its pid. Every
   * 50 ms, and at once whenever the child has written output since the last probe: our services log a
   * line when they listen, so their readiness is seen within a few ms without polling faster (each probe
   * costs the supervisor CPU that the starting services need). Output is only a hint; the health answer
   * decides.
   */
  private async pollHealth(proc: ChildProcess, url: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.policy.readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (signal.aborted) throw new Error('aborted');
      try {
        const res = await probeHealth(url, { signal, timeoutMs: 2000 });
        if (res.status < 200 || res.status >= 300) last = `HTTP ${res.status}`;
        else if (!this.spec.healthHasPid) return;
        else {
          const body = JSON.parse(res.body) as { pid?: unknown };
          if (body.pid === proc.pid) return;
          last = `the port answers for pid ${String(body.pid)}, not for our pid ${proc.pid}`;
        }
      } catch (err) {
        last = (err as Error).message;
      }
      if (this.outputSeen) {
        this.outputSeen = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, 50);
        function wake() {
          clearTimeout(timer);
          resolve();
        }
        this.wakePoll = wake;
      });
      this.wakePoll = undefined;
      this.outputSeen = false;
    }
    throw new Error(`${url} did not become healthy within ${this.policy.readyTimeoutMs} ms (last: ${last})`);
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    const wasReady = this.readyAt !== undefined;
    this.readyAt = undefined;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.log.note(how);
    if (this.stopping) {
      this.setState('stopped');
      return;
    }
    // A code of the kit's table that a restart cannot fix (config error, data dir unusable): say so at once.
    const meaning = signal ? undefined : exitMeaning(code);
    if (meaning?.supervisor === 'give-up') {
      const said = this.log
        .lines(12)
        .filter((l) => l.stream === 'stderr' && !l.text.startsWith('[supervisor]'))
        .at(-1)?.text;
      this.lastError = `${this.name} ${how} (${meaning.summary})${said ? `: ${said}` : ''}; not restarted, it would fail the same way`;
      this.log.note(`failed: ${meaning.summary}; not restarting`);
      this.setState('failed');
      return;
    }
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < this.policy.windowMs), now];
    this.lastError = `${this.name} ${how}`;
    if (this.crashes.length >= this.policy.maxCrashes) {
      const lastLines = this.log
        .lines(12)
        .filter((l) => !l.text.startsWith('[supervisor]'))
        .map((l) => l.text)
        .join('\n');
      this.lastError = `${this.name} ${how}; it crashed ${this.crashes.length} times within ${Math.round(this.policy.windowMs / 1000)} s, so it is not restarted again.${lastLines ? `\nLast log lines:\n${lastLines}` : ''}`;
      this.log.note(`failed: ${this.crashes.length} crashes in the window; not restarting`);
      this.setState('failed');
      return;
    }
    // Another process took the port between choosing it and binding it (two stacks starting at once).
    const newPort =
      code === EXIT.portInUse && !wasReady && this.onPortInUse ? this.onPortInUse() : Promise.resolve();
    const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (this.crashes.length - 1));
    this.log.note(`restarting in ${delay} ms`);
    this.restarts++;
    this.setState('restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void newPort.then(() => {
        if (!this.stopping && !this.proc) this.spawnNow('restarting');
      });
    }, delay);
  }

  private setState(state: ServiceState): void {
    this.state = state;
    this.onChange();
  }
}
