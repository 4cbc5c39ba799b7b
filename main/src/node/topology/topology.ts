/**
 * `Topology`: the production picture on one machine (plan.ts). Makes the certificate, the databases and
 * Redis available, writes nginx.conf and /config.json, starts nginx and every instance (each one a
 * supervised process, as the desktop's supervisor runs services: restarted after a crash), waits until
 * every instance's /readyz and every public origin through nginx answers, and stops it all. Keeps
 * DATA_DIR/topology.json current (URLs, pids, states) for tests and scripts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, probeHealth } from '@msi/kit/net';
import { SERVICE_NAMES } from '@msi/contracts/endpoints';
import { STACK_FILE, type StackFile } from '@msi/contracts/stack';
import type { ServiceName, ServiceState } from '../../common/host-api.js';
import { loadOrCreateSecrets, prepareDataDir } from '../data-dir.js';
import { writeFileAtomic } from '../files.js';
import { devLayout, type AppLayout } from '../layout.js';
import { ServiceLog } from '../supervisor/logs.js';
import { DEFAULT_RESTART_POLICY, ServiceProcess } from '../supervisor/service-process.js';
import { chromaToken, SERVICES, type ServiceSpec, type StackContext } from '../supervisor/services.js';
import {
  ensureDatabases,
  makeCertificate,
  redisAnswers,
  requireBinary,
  requireFreePorts,
  startOwnRedis,
  TopologyProblem,
  withDatabase,
  type Certificate,
  type OwnRedis,
} from './infra.js';
import { nginxConf } from './nginx-conf.js';
import {
  DATABASE_SERVICES,
  databaseName,
  instanceEnv,
  instanceIds,
  makePlan,
  nginxPorts,
  PUBLIC_SERVICES,
  rendererConfig,
  type Instance,
  type PublicService,
  type TopologyPlan,
} from './plan.js';

export const TOPOLOGY_FILE = 'topology.json';

/**
 * The topology as a stack.json (contracts/src/stack.ts) for what reads the desktop stack's file (the e2e
 * fixtures, scripts): Remote mode, the renderer on nginx, each service at its balanced URL (Chroma at its
 * own). A service is `ready` once the whole topology is; before that, its least ready instance's state.
 * No pid: a service is several processes (topology.json has each).
 */
export function stackFileOf(snap: TopologyFile): StackFile {
  const order: ServiceState[] = ['failed', 'not_responding', 'restarting', 'starting', 'stopped', 'ready'];
  const services: StackFile['services'] = {};
  for (const name of SERVICE_NAMES) {
    const mine = snap.instances.filter((i) => i.service === name);
    if (!mine.length) continue;
    const worst = order.find((st) => mine.some((i) => i.state === st)) ?? 'starting';
    const state: ServiceState =
      snap.state === 'ready' && worst === 'ready' ? 'ready' : worst === 'ready' ? 'starting' : worst;
    const url = name === 'chroma' ? mine[0]!.url : snap.publicUrls[name as PublicService];
    services[name] = { ...(url ? { url } : {}), pid: null, state };
  }
  return { services, renderer: { url: snap.webUrl }, mode: 'remote', updatedAt: snap.updatedAt };
}
export const DEFAULT_WEB_PORT = 8443;

export interface TopologyOptions {
  dataDir: string;
  /** The web port; the public services take the next four (plan.ts). */
  port?: number;
  /** PostgreSQL server (its databases are named <dbPrefix>_<service>). */
  databaseUrl?: string;
  dbPrefix?: string;
  /** Redis to use; when none answers there, a redis-server of our own on a free port. */
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** Renderer origins the IDP and API accept besides the web one (a desktop host in Remote mode). */
  extraOrigins?: string[];
  layout?: AppLayout;
  nginxBinary?: string;
  logLevel?: string;
  /** More environment for every API instance (a load run's RATE_LIMIT_REQUESTS, say). */
  apiEnv?: Record<string, string>;
}

export interface InstanceFile {
  id: string;
  service: PublicService | 'chroma';
  url: string;
  pid: number | null;
  state: string;
}

export interface TopologyFile {
  state: 'starting' | 'ready' | 'stopping' | 'stopped';
  webUrl: string;
  publicUrls: Record<PublicService, string>;
  certFile: string;
  redis: { url: string; own: boolean };
  databases: Record<PublicService, string>;
  nginx: { pid: number | null; conf: string };
  instances: InstanceFile[];
  coldStartMs?: number;
  updatedAt: string;
}

type Events = { change: [TopologyFile] };

/** One GET over https trusting only `ca` (the topology's certificate): status, headers and body. */
export function httpsGet(
  url: string,
  ca: string,
  timeoutMs = 5000,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const problem = await check().catch((err: Error) => err.message);
    if (problem === undefined) return;
    last = problem;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TopologyProblem(`${what} not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}

export class Topology extends EventEmitter<Events> {
  readonly dataDir: string;
  readonly layout: AppLayout;
  private plan: TopologyPlan | undefined;
  private cert: Certificate | undefined;
  private redis: { url: string; own?: OwnRedis } | undefined;
  private databases = {} as Record<PublicService, string>;
  private readonly procs = new Map<string, ServiceProcess>();
  private nginx: ChildProcess | undefined;
  private nginxExited: Promise<void> = Promise.resolve();
  private state: TopologyFile['state'] = 'starting';
  private coldStartMs: number | undefined;
  private readonly nginxPrefix: string;

  constructor(private readonly opts: TopologyOptions) {
    super();
    this.dataDir = prepareDataDir(opts.dataDir);
    this.layout = opts.layout ?? devLayout();
    this.nginxPrefix = join(this.dataDir, 'nginx');
  }

  get webUrl(): string {
    return this.requirePlan().webUrl;
  }

  get publicUrls(): Record<PublicService, string> {
    return this.requirePlan().publicUrls;
  }

  get certFile(): string {
    if (!this.cert) throw new Error('topology: not started');
    return this.cert.certFile;
  }

  get file(): string {
    return join(this.dataDir, TOPOLOGY_FILE);
  }

  /** Starts everything; resolves when every instance and every public origin answers (cold start). */
  async start(): Promise<number> {
    const t0 = performance.now();
    const webPort = this.opts.port ?? DEFAULT_WEB_PORT;
    if (!Number.isInteger(webPort) || webPort < 1 || webPort + 4 > 65535)
      throw new TopologyProblem(`--port must leave room for 5 ports below 65536 (got ${webPort})`, 'port');
    const nginxBin = requireBinary(
      'nginx',
      "Debian's nginx package: apt-get install nginx",
      this.opts.nginxBinary ?? '/usr/sbin/nginx',
    );
    const openssl = requireBinary('openssl', 'apt-get install openssl');
    if (!existsSync(join(this.layout.rendererDir, 'index.html')))
      throw new TopologyProblem(
        `the renderer is not built (${this.layout.rendererDir}): run npm run build -w renderer`,
        'build',
      );
    for (const s of [...PUBLIC_SERVICES, 'chroma'])
      if (!existsSync(join(this.layout.root, 'services', s, 'dist')))
        throw new TopologyProblem(`services/${s} is not built: run npx tsc -b tsconfig.build.json`, 'build');
    this.refuseLeftoverNginx();
    await requireFreePorts(nginxPorts(webPort), '--port');

    const taken = new Set(nginxPorts(webPort));
    const ports: number[] = [];
    while (ports.length < instanceIds().length + 1) {
      const p = await freePort();
      if (taken.has(p)) continue;
      ports.push(p);
      taken.add(p);
    }
    const plan = makePlan(webPort, ports, this.opts.extraOrigins ?? []);
    this.plan = plan;

    const cert = makeCertificate(openssl, join(this.dataDir, 'tls'));
    this.cert = cert;
    // Both settle before a failure is reported, so stop() finds (and ends) a redis-server of our own.
    const prepared = await Promise.allSettled([this.prepareDatabases(), this.prepareRedis()]);
    for (const p of prepared) if (p.status === 'rejected') throw p.reason;
    await this.startNginx(nginxBin, plan, cert);
    this.startInstances(plan, cert);
    this.publish();
    await this.whenReady(plan, cert);
    this.coldStartMs = Math.round(performance.now() - t0);
    this.state = 'ready';
    this.publish();
    return this.coldStartMs;
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    if (this.plan) this.publish();
    await Promise.all([...this.procs.values()].map((p) => p.stop()));
    for (const p of this.procs.values()) p.log.close();
    const n = this.nginx;
    if (n && n.exitCode === null && n.signalCode === null) {
      // SIGQUIT: nginx's graceful shutdown (SIGTERM is its fast one); SIGKILL if it lingers.
      n.kill('SIGQUIT');
      const t = setTimeout(() => n.kill('SIGKILL'), 5000);
      await this.nginxExited;
      clearTimeout(t);
    }
    const own = this.redis?.own?.proc;
    if (own && own.exitCode === null) {
      const exited = new Promise((r) => own.once('exit', r));
      own.kill('SIGTERM');
      await exited;
    }
    this.state = 'stopped';
    if (this.plan) this.publish();
  }

  /** Pids of every process it started (tests check none survives). */
  pids(): number[] {
    return [...[...this.procs.values()].map((p) => p.pid), this.nginx?.pid, this.redis?.own?.proc.pid].filter(
      (p): p is number => p !== undefined,
    );
  }

  snapshot(): TopologyFile {
    const plan = this.requirePlan();
    return {
      state: this.state,
      webUrl: plan.webUrl,
      publicUrls: plan.publicUrls,
      certFile: this.cert?.certFile ?? '',
      redis: { url: this.redis?.url ?? '', own: !!this.redis?.own },
      databases: this.databases,
      nginx: {
        pid: this.nginx?.exitCode === null ? (this.nginx.pid ?? null) : null,
        conf: join(this.nginxPrefix, 'nginx.conf'),
      },
      instances: [...this.procs.entries()].map(([id, p]) => {
        const s = p.status();
        return {
          id,
          service: id === 'chroma' ? 'chroma' : (id.replace(/-\d+$/, '') as PublicService),
          url: s.url ?? '',
          pid: s.pid ?? null,
          state: s.state,
        };
      }),
      ...(this.coldStartMs !== undefined ? { coldStartMs: this.coldStartMs } : {}),
      updatedAt: new Date().toISOString(),
    };
  }

  // --- inside ---

  private requirePlan(): TopologyPlan {
    if (!this.plan) throw new Error('topology: not started');
    return this.plan;
  }

  /**
   * An nginx of an earlier run in this data dir that was never stopped (the command was killed with
   * SIGKILL; our services exit with their parent, nginx does not): said in one line with how to end it.
   */
  private refuseLeftoverNginx(): void {
    let pid: number;
    try {
      pid = Number(readFileSync(join(this.nginxPrefix, 'nginx.pid'), 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return; // not running (or not Linux: nginx itself refuses a port in use below)
    }
    if (!cmdline.includes(this.nginxPrefix)) return;
    throw new TopologyProblem(
      `an nginx of an earlier topology in ${this.dataDir} still runs (pid ${pid}); stop it with: kill -QUIT ${pid}`,
      'port',
    );
  }

  private async prepareDatabases(): Promise<void> {
    const base = this.opts.databaseUrl ?? 'postgres://root@127.0.0.1:5432';
    const prefix = this.opts.dbPrefix ?? 'msi';
    const names = DATABASE_SERVICES.map((s) => databaseName(prefix, s));
    await ensureDatabases(base, names);
    for (const s of DATABASE_SERVICES) this.databases[s] = withDatabase(base, databaseName(prefix, s));
  }

  private async prepareRedis(): Promise<void> {
    const url = this.opts.redisUrl ?? 'redis://127.0.0.1:6379';
    if (await redisAnswers(url)) {
      this.redis = { url };
      return;
    }
    const bin = requireBinary(
      'redis-server',
      `no Redis answers at ${url} and redis-server is not installed: apt-get install redis-server, or give --redis-url`,
    );
    const own = await startOwnRedis(bin, join(this.dataDir, 'redis'));
    this.redis = { url: own.url, own };
  }

  private async startNginx(bin: string, plan: TopologyPlan, cert: Certificate): Promise<void> {
    const prefix = this.nginxPrefix;
    for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
    const configJson = join(prefix, 'config.json');
    writeFileSync(configJson, JSON.stringify(rendererConfig(plan), null, 2) + '\n');
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(
      conf,
      nginxConf(plan, {
        prefix,
        certFile: cert.certFile,
        keyFile: cert.keyFile,
        rendererDir: this.layout.rendererDir,
        configJson,
        user: process.getuid?.() === 0 ? userInfo().username : undefined,
      }),
    );
    const args = ['-p', prefix, '-c', conf, '-e', join(prefix, 'logs', 'error.log')];
    const test = spawnSync(bin, ['-t', '-q', ...args], { encoding: 'utf8' });
    if (test.status !== 0)
      throw new TopologyProblem(`nginx refuses ${conf}: ${test.stderr.trim().split('\n')[0]}`);
    const proc = spawn(bin, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: process.platform !== 'win32',
    });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    this.nginx = proc;
    this.nginxExited = new Promise((r) => proc.once('close', () => r()));
    proc.once('exit', () => this.plan && this.state !== 'stopped' && this.publish());
    await until('nginx', 10_000, async () => {
      if (proc.exitCode !== null)
        throw new TopologyProblem(
          `nginx exited (code ${proc.exitCode}): ${err.trim().split('\n').at(-1) ?? ''}`,
        );
      const res = await httpsGet(`${plan.webUrl}/config.json`, readFileSync(cert.certFile, 'utf8'), 1000);
      return res.status === 200 ? undefined : `HTTP ${res.status}`;
    }).catch((e: Error) => {
      if (proc.exitCode !== null)
        throw new TopologyProblem(`nginx exited (code ${proc.exitCode}): ${err.trim()}`);
      throw e;
    });
  }

  private startInstances(plan: TopologyPlan, cert: Certificate): void {
    const secret = loadOrCreateSecrets(this.dataDir).apiClientSecret;
    const token = chromaToken(secret);
    const inputs = {
      dataDir: this.dataDir,
      databaseUrls: this.databases,
      redisUrl: this.redis!.url,
      redisKeyPrefix: this.opts.redisKeyPrefix ?? `msi:topology:${plan.webPort}:`,
      apiClientSecret: secret,
      chromaToken: token,
      certFile: cert.certFile,
      ...(this.opts.logLevel ? { logLevel: this.opts.logLevel } : {}),
    };
    const base: StackContext = {
      dataDir: this.dataDir,
      urls: {} as StackContext['urls'],
      ports: {} as StackContext['ports'],
      rendererOrigin: plan.webUrl,
      apiClientSecret: secret,
      model: { provider: 'offline', model: '', baseUrl: '' },
    };
    const add = (id: string, name: ServiceName, port: number, spec: ServiceSpec) => {
      const ctx: StackContext = {
        ...base,
        urls: { ...base.urls, [name]: `http://127.0.0.1:${port}` },
        ports: { ...base.ports, [name]: port },
      };
      const proc = new ServiceProcess(
        spec,
        this.layout,
        () => ctx,
        new ServiceLog(name, join(this.dataDir, 'logs', id)),
        DEFAULT_RESTART_POLICY,
        () => this.publish(),
      );
      this.procs.set(id, proc);
    };
    add('chroma', 'chroma', plan.chromaPort, SERVICES.chroma);
    for (const inst of plan.instances)
      add(inst.id, inst.service, inst.port, this.instanceSpec(plan, inst, inputs));
    for (const p of this.procs.values()) p.start();
  }

  private instanceSpec(
    plan: TopologyPlan,
    inst: Instance,
    inputs: Parameters<typeof instanceEnv>[2],
  ): ServiceSpec {
    const env = instanceEnv(plan, inst, inputs);
    // The model provider: offline unless the person's environment names one (OPENAI_*), as on the desktop.
    const model =
      inst.service === 'api' && process.env.OPENAI_API_KEY
        ? Object.fromEntries(
            ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL'].flatMap((k) =>
              process.env[k] ? [[k, process.env[k]!]] : [],
            ),
          )
        : {};
    return {
      name: inst.service,
      args: (layout) => [join(layout.root, 'services', inst.service)],
      env: () => ({ ...env, ...model, ...(inst.service === 'api' ? this.opts.apiEnv : {}) }),
      healthPath: '/healthz',
      healthHasPid: true,
    };
  }

  /** Every instance ready (its own /readyz), then every public origin through nginx (/readyz, /config.json). */
  private async whenReady(plan: TopologyPlan, cert: Certificate): Promise<void> {
    const ca = readFileSync(cert.certFile, 'utf8');
    const timeoutMs = 180_000;
    await Promise.all(
      [...this.procs.entries()].map(([id, p]) =>
        until(id, timeoutMs, async () => {
          const s = p.status();
          if (s.state === 'failed')
            throw new TopologyProblem(
              `${id} failed: ${s.lastError ?? 'see its log'} (${join(this.dataDir, 'logs', id)})`,
            );
          if (s.state !== 'ready') return s.state;
          if (id === 'chroma') return undefined;
          const res = await probeHealth(`${s.url}/readyz`, { timeoutMs: 3000 });
          return res.status === 200 ? undefined : `/readyz HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        }).catch((err: Error) => {
          if (err instanceof TopologyProblem && err.message.startsWith(`${id} failed`)) throw err;
          throw new TopologyProblem(`${err.message} (log: ${join(this.dataDir, 'logs', id)})`);
        }),
      ),
    );
    await Promise.all(
      PUBLIC_SERVICES.map((s) =>
        until(`${s} through nginx`, 30_000, async () => {
          const res = await httpsGet(`${plan.publicUrls[s]}/readyz`, ca, 3000);
          return res.status === 200 ? undefined : `HTTP ${res.status}`;
        }),
      ),
    );
  }

  private publish(): void {
    const snap = this.snapshot();
    writeFileAtomic(this.file, JSON.stringify(snap, null, 2) + '\n');
    writeFileAtomic(join(this.dataDir, STACK_FILE), JSON.stringify(stackFileOf(snap), null, 2) + '\n');
    this.emit('change', snap);
  }
}
