/**
 * The whole app without Electron's window: settings, the host, and in local mode the supervisor with
 * every service. It implements the HostService (status, restart, logs, settings with the mode switch,
 * test connection, app info), keeps DATA_DIR/stack.json current, and stops everything on stop().
 * `npm run stack` and electron-main both drive one Stack.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { preferredOrFreePort } from '@msi/kit/net';
import { CLIENT_IDS, DEFAULT_PORTS, DESKTOP_SCOPES } from '@msi/contracts/endpoints';
import { STACK_FILE, type StackFile } from '@msi/contracts/stack';
import type {
  AppInfo,
  ConnectionCheck,
  HostService,
  LogLine,
  RendererConfig,
  ServiceName,
  ServiceStatus,
  Settings,
  SettingsUpdate,
} from '../common/host-api.js';
import { testConnection } from './host/connection.js';
import { loadOrCreateSecrets, prepareDataDir } from './data-dir.js';
import { writeFileAtomic } from './files.js';
import { createHost, HostRequestError } from './host/host.js';
import { devLayout, type AppLayout } from './layout.js';
import { SERVICE_NAMES } from './supervisor/services.js';
import { MemorySecretStore, SettingsProblem, SettingsStore, type SecretStore } from './settings.js';
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';

export interface StackOptions {
  dataDir: string;
  shell: 'browser' | 'electron';
  layout?: AppLayout;
  /** Where the API key is kept (default: memory, seeded from OPENAI_API_KEY). */
  secretStore?: SecretStore;
  /** The host's port: exactly this one (an error when taken), else 4200 or a free port. */
  hostPort?: number;
  /** Test knobs passed to the supervisor (only, envOverrides, preferredPorts, restartPolicy). */
  supervisor?: Pick<SupervisorOptions, 'only' | 'envOverrides' | 'preferredPorts' | 'restartPolicy'>;
}

export class PortInUse extends Error {}

type Events = { status: [ServiceStatus[]] };

export class Stack extends EventEmitter<Events> implements HostService {
  readonly dataDir: string;
  readonly layout: AppLayout;
  readonly settings: SettingsStore;
  /** Guards the host's HTTP HostService (browser mode); new every run. */
  readonly secret = randomBytes(24).toString('base64url');
  private readonly apiClientSecret: string;
  private host: FastifyInstance | undefined;
  private supervisor: Supervisor | undefined;
  private url = '';
  private transition: Promise<unknown> = Promise.resolve();

  /** Checks the data dir, secrets and settings: throws DataDirProblem / SettingsProblem before anything starts. */
  constructor(private readonly opts: StackOptions) {
    super();
    this.dataDir = prepareDataDir(opts.dataDir);
    this.layout = opts.layout ?? devLayout();
    this.apiClientSecret = loadOrCreateSecrets(this.dataDir).apiClientSecret;
    this.settings = new SettingsStore(
      this.dataDir,
      opts.secretStore ?? new MemorySecretStore(process.env.OPENAI_API_KEY || undefined),
    );
  }

  get rendererUrl(): string {
    return this.url;
  }

  get stackFile(): string {
    return join(this.dataDir, STACK_FILE);
  }

  /** Starts the host, then (local mode) every service; resolves when they are spawned, not ready. */
  async start(): Promise<void> {
    const host = createHost({
      rendererDir: this.layout.rendererDir,
      config: () => this.rendererConfig(),
      ...(this.opts.shell === 'browser'
        ? {
            http: {
              service: this,
              secret: this.secret,
              subscribe: (fn: (s: ServiceStatus[]) => void) => {
                this.on('status', fn);
                return () => void this.off('status', fn);
              },
            },
          }
        : {}),
    });
    const port = this.opts.hostPort ?? (await preferredOrFreePort(DEFAULT_PORTS.host));
    try {
      await host.listen({ host: '127.0.0.1', port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUse(
          `port ${port} on 127.0.0.1 is already in use; choose another with --port, or leave it out to get a free one`,
        );
      }
      throw err;
    }
    this.host = host;
    this.url = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`;
    if (this.settings.stored.mode === 'local') await this.startLocal();
    this.publish();
  }

  /** Resolves when every local service is ready (at once in remote mode); rejects when one failed. */
  async whenReady(timeoutMs?: number): Promise<ServiceStatus[]> {
    return this.supervisor ? this.supervisor.whenReady(timeoutMs) : [];
  }

  rendererConfig(): RendererConfig {
    const s = this.settings.stored;
    const local = s.mode === 'local' && this.supervisor;
    return {
      mode: s.mode,
      issuer: local ? this.supervisor!.context.urls.idp : s.remote.issuer,
      // A remote provider may know the app under its own client id and scopes (settings.json's remote).
      clientId: local ? CLIENT_IDS.desktop : (s.remote.clientId ?? CLIENT_IDS.desktop),
      apiUrl: local ? this.supervisor!.context.urls.api : s.remote.apiUrl,
      scopes: local ? DESKTOP_SCOPES : (s.remote.scopes ?? DESKTOP_SCOPES),
      ...(this.opts.shell === 'browser' ? { host: { url: this.url, secret: this.secret } } : {}),
    };
  }

  /** Pids of the running services (tests check none survives). */
  pids(): number[] {
    return this.supervisor?.pids() ?? [];
  }

  async stop(): Promise<void> {
    await this.serial(async () => {
      await this.supervisor?.stop();
      this.publish();
      this.supervisor = undefined;
    });
    await this.host?.close();
    this.host = undefined;
  }

  // --- HostService ---

  async getStatus(): Promise<ServiceStatus[]> {
    return this.supervisor?.status() ?? [];
  }

  async restartService(name: ServiceName): Promise<void> {
    if (!SERVICE_NAMES.includes(name))
      throw new HostRequestError(`no service named ${String(name)} (have: ${SERVICE_NAMES.join(', ')})`);
    if (!this.supervisor) throw new HostRequestError('remote mode: there are no local services to restart');
    await this.supervisor.restart(name);
  }

  async getLogs(name: ServiceName, lines = 200): Promise<LogLine[]> {
    if (!SERVICE_NAMES.includes(name))
      throw new HostRequestError(`no service named ${String(name)} (have: ${SERVICE_NAMES.join(', ')})`);
    if (!Number.isInteger(lines) || lines < 1 || lines > 5000)
      throw new HostRequestError('lines must be an integer 1-5000');
    return this.supervisor?.logs(name, lines) ?? [];
  }

  async getSettings(): Promise<Settings> {
    return this.settings.get();
  }

  /** Validates and stores; a mode change stops or starts the local stack, a model change restarts the API. */
  async updateSettings(update: SettingsUpdate): Promise<Settings> {
    return this.serial(async () => {
      let change;
      try {
        change = this.settings.update(update);
      } catch (err) {
        if (err instanceof SettingsProblem) throw new HostRequestError(err.message);
        throw err;
      }
      const { before, after } = change;
      if (before.mode === 'local' && after.mode === 'remote') {
        await this.supervisor?.stop();
        this.supervisor = undefined;
      } else if (before.mode === 'remote' && after.mode === 'local') {
        await this.startLocal();
      } else if (
        this.supervisor &&
        (JSON.stringify(before.model) !== JSON.stringify(after.model) ||
          (update.apiKey !== undefined && after.model.provider === 'openai'))
      ) {
        await this.supervisor.setModel(this.modelEnv());
      }
      this.publish();
      return this.settings.get();
    });
  }

  async testConnection(target?: { issuer: string; apiUrl: string }): Promise<ConnectionCheck[]> {
    const t = target ?? this.settings.stored.remote;
    if (!t.issuer || !t.apiUrl)
      throw new HostRequestError('give an issuer and an API URL, or set them in the remote settings first');
    return testConnection(t);
  }

  async appInfo(): Promise<AppInfo> {
    const pkg = JSON.parse(readFileSync(join(this.layout.root, 'package.json'), 'utf8')) as {
      productName?: string;
      version: string;
    };
    return {
      name: pkg.productName ?? 'MSI Assistant Desktop',
      version: pkg.version,
      shell: this.opts.shell,
      dataDir: this.dataDir,
      platform: `${process.platform}-${process.arch}`,
    };
  }

  // --- inside ---

  private async startLocal(): Promise<void> {
    const supervisor = new Supervisor({
      dataDir: this.dataDir,
      layout: this.layout,
      rendererOrigin: this.url,
      apiClientSecret: this.apiClientSecret,
      model: this.modelEnv(),
      ...this.opts.supervisor,
    });
    supervisor.on('status', () => this.publish());
    this.supervisor = supervisor;
    await supervisor.start();
  }

  private modelEnv() {
    const m = this.settings.stored.model;
    return { ...m, apiKey: this.settings.apiKey() };
  }

  /** Writes stack.json (contracts/src/stack.ts, the shape its readers parse) and tells the listeners. */
  private publish(): void {
    const status = this.supervisor?.status() ?? [];
    const file: StackFile = {
      services: {},
      renderer: { url: this.url },
      mode: this.settings.stored.mode,
      updatedAt: new Date().toISOString(),
    };
    for (const s of status) file.services[s.name] = { url: s.url, pid: s.pid ?? null, state: s.state };
    writeFileAtomic(this.stackFile, JSON.stringify(file, null, 2) + '\n');
    this.emit('status', status);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.transition.then(fn, fn);
    this.transition = next.catch(() => undefined);
    return next;
  }
}
