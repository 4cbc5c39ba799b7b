/**
 * The supervisor: chooses every port first (the DESIGN.md defaults, a taken one replaced by a free
 * one), then starts all services at once with each other's real URLs, reports their status as events,
 * restarts crashed ones, and stops them all. Plain Node: `npm run stack` and Electron use the same one.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { preferredOrFreePort } from '@msi/kit/net';
import type { LogLine, ServiceName, ServiceStatus } from '../../common/host-api.js';
import type { AppLayout } from '../layout.js';
import { ServiceLog } from './logs.js';
import { DEFAULT_RESTART_POLICY, ServiceProcess, type RestartPolicy } from './service-process.js';
import { DEFAULT_PORTS, SERVICES, SERVICE_NAMES, type StackContext } from './services.js';

export interface SupervisorOptions {
  dataDir: string;
  layout: AppLayout;
  rendererOrigin: string;
  apiClientSecret: string;
  model: StackContext['model'];
  /** Ports to try first (default: DESIGN.md's). */
  preferredPorts?: Partial<Record<ServiceName, number>>;
  /** Start only these (tests); the others are not part of this stack. */
  only?: readonly ServiceName[];
  /** Extra environment per service, applied last (tests: a bad variable to make one crash). */
  envOverrides?: Partial<Record<ServiceName, Record<string, string>>>;
  restartPolicy?: Partial<RestartPolicy>;
}

export class ServiceFailedError extends Error {
  constructor(readonly service: ServiceStatus) {
    super(`${service.name} failed: ${service.lastError ?? 'unknown reason'}`);
    this.name = 'ServiceFailedError';
  }
}

type Events = { status: [ServiceStatus[]] };

export class Supervisor extends EventEmitter<Events> {
  private readonly procs = new Map<ServiceName, ServiceProcess>();
  private ctx: StackContext | undefined;
  private stopping = false;
  private readonly names: readonly ServiceName[];

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.names = SERVICE_NAMES.filter((n) => !opts.only || opts.only.includes(n));
  }

  get context(): StackContext {
    if (!this.ctx) throw new Error('supervisor: not started');
    return this.ctx;
  }

  /** Chooses the ports and spawns every service; resolves once all are spawned (see whenReady). */
  async start(): Promise<void> {
    if (this.ctx) throw new Error('supervisor: already started');
    const taken = new Set<number>();
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) {
      const preferred = this.opts.preferredPorts?.[name] ?? DEFAULT_PORTS[name];
      ports[name] = this.names.includes(name)
        ? await preferredOrFreePort(preferred, '127.0.0.1', taken)
        : preferred;
      taken.add(ports[name]);
    }
    const urls = Object.fromEntries(SERVICE_NAMES.map((n) => [n, `http://127.0.0.1:${ports[n]}`])) as Record<
      ServiceName,
      string
    >;
    this.ctx = {
      dataDir: this.opts.dataDir,
      ports,
      urls,
      rendererOrigin: this.opts.rendererOrigin,
      docsDir: this.opts.layout.docsDir,
      apiClientSecret: this.opts.apiClientSecret,
      model: this.opts.model,
    };
    const policy = { ...DEFAULT_RESTART_POLICY, ...this.opts.restartPolicy };
    const logsDir = join(this.opts.dataDir, 'logs');
    for (const name of this.names) {
      const proc = new ServiceProcess(
        SERVICES[name],
        this.opts.layout,
        () => this.context,
        new ServiceLog(name, logsDir),
        policy,
        () => this.emit('status', this.status()),
        this.opts.envOverrides?.[name],
        () => this.movePort(name),
      );
      this.procs.set(name, proc);
    }
    for (const proc of this.procs.values()) proc.start();
  }

  status(): ServiceStatus[] {
    return [...this.procs.values()].map((p) => p.status());
  }

  /** Resolves when every service is ready; rejects as soon as one has failed, or after timeoutMs. */
  whenReady(timeoutMs = 120_000): Promise<ServiceStatus[]> {
    return new Promise((resolve, reject) => {
      const check = (all: ServiceStatus[]) => {
        const failed = all.find((s) => s.state === 'failed');
        if (failed) return done(() => reject(new ServiceFailedError(failed)));
        if (all.length > 0 && all.every((s) => s.state === 'ready')) done(() => resolve(all));
      };
      const timer = setTimeout(() => {
        const waiting = this.status()
          .filter((s) => s.state !== 'ready')
          .map((s) => `${s.name} (${s.state})`);
        done(() => reject(new Error(`not ready within ${timeoutMs} ms: ${waiting.join(', ')}`)));
      }, timeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.off('status', check);
        fn();
      };
      this.on('status', check);
      check(this.status());
    });
  }

  logs(name: ServiceName, lines?: number): LogLine[] {
    return this.get(name).log.lines(lines);
  }

  async restart(name: ServiceName): Promise<void> {
    await this.get(name).restart();
  }

  /** New model settings reach the API through its environment: it is restarted with them. */
  async setModel(model: StackContext['model']): Promise<void> {
    this.context.model = model;
    if (this.procs.has('api')) await this.get('api').restart();
  }

  /** SIGTERM to all at once, SIGKILL to what is left after the grace period; resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.procs.values()].map((p) => p.stop()));
    for (const p of this.procs.values()) p.log.close();
  }

  pids(): number[] {
    return [...this.procs.values()].map((p) => p.pid).filter((p): p is number => p !== undefined);
  }

  /** Gives `name` a new free port and restarts the services whose environment named its old URL. */
  private async movePort(name: ServiceName): Promise<void> {
    const ctx = this.context;
    const oldUrl = ctx.urls[name];
    const dependents = [...this.procs.values()].filter(
      (p) => p.name !== name && Object.values(p.spec.env(ctx)).includes(oldUrl),
    );
    if (this.stopping) return;
    const port = await preferredOrFreePort(0, '127.0.0.1', new Set(Object.values(ctx.ports)));
    ctx.ports[name] = port;
    ctx.urls[name] = `http://127.0.0.1:${port}`;
    this.get(name).log.note(
      `port ${oldUrl.split(':').pop()} was taken by another process; moving to ${port}`,
    );
    if (!this.stopping) await Promise.all(dependents.map((p) => p.restart()));
  }

  private get(name: ServiceName): ServiceProcess {
    const proc = this.procs.get(name);
    if (!proc)
      throw new Error(`no service named ${name} in this stack (have: ${[...this.procs.keys()].join(', ')})`);
    return proc;
  }
}
