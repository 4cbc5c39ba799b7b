/**
 * compose.yaml and the Dockerfiles (docs/containers.md), checked without a Docker engine: each service's
 * environment against its own config spec and parse (production mode's refusals included), with the
 * secret files deploy/make-secrets.mjs really makes; every health check run for real (the services
 * started as processes, deploy/healthcheck.mjs run against them); PostgreSQL's init script on a scratch
 * cluster, and a service on the role it makes; the images' stages, users, commands, ports and health
 * checks; nginx's configuration run by real nginx in front of the services. Needs the build
 * (`npx tsc -b tsconfig.build.json`), nginx and PostgreSQL's server binaries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '@msi/contracts/api';
import { CLIENT_IDS, DESKTOP_SCOPES } from '@msi/contracts/endpoints';
import { freePort, waitForHealthy } from '@msi/kit';
import { pgQuery } from '../../test/support/database.js';
import { MAX_UPLOAD_BYTES } from '../../services/api/src/knowledge/upload.js';
import { contentSecurityPolicy } from '../../main/src/common/csp.js';
import { startScratchCluster, type ScratchCluster } from '../../test/support/pg-cluster.js';
import { startChroma, type RunningChroma } from '../../test/support/chroma.js';
import { startService, tempDataDir, type RunningService } from '../../test/support/services.js';
import { environmentProblems, ROOT, serviceMain, SERVICES, type OurService } from './deploy-checks.js';

interface ComposeService {
  build?: { context: string; target?: string; dockerfile?: string };
  image?: string;
  environment?: Record<string, string | number>;
  secrets?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  ports?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

/** Compose's interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`) with `vars`. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const value = vars[name];
      if (op?.endsWith('-')) return value ? value : (arg ?? '');
      if (op?.endsWith('?') && !value) throw new Error(`compose.yaml needs ${name}: ${arg}`);
      return value ?? '';
    },
  );
}

const template = readFileSync(join(ROOT, 'deploy/nginx/templates/msi.conf.template'), 'utf8');
const OURS: OurService[] = ['api', 'idp', 'ticketing', 'organizations', 'chroma'];
const composeText = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
const compose = yaml.load(interpolate(composeText, {})) as Compose;
const env = (s: string) =>
  Object.fromEntries(
    Object.entries(compose.services[s]!.environment ?? {}).map(([k, v]) => [k, String(v)]),
  ) as Record<string, string>;
const healthPath = (s: ComposeService) => {
  const t = s.healthcheck?.test ?? [];
  return t[0] === 'CMD' && t[1] === 'node' && t[2] === 'deploy/healthcheck.mjs' ? t[3] : undefined;
};

let secretsDir: string;
beforeAll(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'msi-secrets-'));
  const made = spawnSync(process.execPath, [join(ROOT, 'deploy/make-secrets.mjs'), secretsDir], {
    encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
});
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

/** A secret file as the container sees it: /run/secrets/<name>, if the service mounts that secret. */
const secretReader = (service: string) => (path: string) => {
  const name = /^\/run\/secrets\/([a-z0-9_]+)$/.exec(path)?.[1];
  if (!name || !compose.services[service]!.secrets?.includes(name) || !compose.secrets[name])
    return undefined;
  const file = join(secretsDir, compose.secrets[name].file.replace(/^\.\/secrets\//, ''));
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
};

describe('compose.yaml against the services’ config specs', () => {
  it('has the seed’s containers, the api three times', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'api',
        'backup',
        'chroma',
        'idp',
        'nginx',
        'organizations',
        'postgres',
        'redis',
        'ticketing',
        'worker',
      ].sort(),
    );
    expect(compose.services.api!.deploy?.replicas).toBe(3);
  });

  for (const service of OURS)
    it(`${service}: every variable is one it declares, the required ones are set, production mode starts`, () => {
      expect(
        environmentProblems({
          service,
          where: `compose.yaml ${service}`,
          env: env(service),
          readFile: secretReader(service),
        }),
      ).toEqual([]);
    });

  it('reports what is wrong: a made-up variable, a missing required one, a demo setting, an unmounted secret', () => {
    const where = 'compose.yaml idp';
    const idp = env('idp');
    expect(environmentProblems({ service: 'idp', where, env: { ...idp, IDP_DEMO_USERS: 'true' } })).toEqual([
      `${where}: IDP_DEMO_USERS is not a variable of idp (its config spec does not declare it)`,
    ]);
    const { API_CLIENT_SECRET_FILE: _, ...noSecret } = idp;
    expect(environmentProblems({ service: 'idp', where, env: noSecret })).toEqual([
      `${where}: API_CLIENT_SECRET is required by idp and not set`,
    ]);
    const demo = environmentProblems({
      service: 'idp',
      where,
      env: { ...idp, IDP_DEMO: 'true' },
      readFile: secretReader('idp'),
    });
    expect(demo).toEqual([
      `${where}: idp refuses it: config: IDP_DEMO must be false when MSI_ENV=production (got "true")`,
    ]);
    const plain = environmentProblems({
      service: 'ticketing',
      where,
      env: { ...env('ticketing'), PUBLIC_URL: 'http://ticketing:9000' },
      readFile: secretReader('ticketing'),
    });
    expect(plain[0]).toMatch(/PUBLIC_URL must be an https URL when MSI_ENV=production/);
    // The api's database secret named where the idp mounts none.
    expect(
      environmentProblems({
        service: 'idp',
        where,
        env: { ...idp, DATABASE_URL_FILE: '/run/secrets/api_database_url' },
        readFile: secretReader('idp'),
      }),
    ).toEqual([
      `${where}: DATABASE_URL_FILE names /run/secrets/api_database_url, which this deployment does not provide`,
    ]);
  });

  it('shares state across the api replicas through Redis; the worker, the api in worker mode, takes the jobs', () => {
    expect(SERVICES.api.spec).toHaveProperty('REDIS_URL');
    expect(env('api').REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
    expect(env('api').API_WORKERS).toBe('0');
    const w = compose.services.worker!;
    expect(w.build?.target).toBe('api');
    expect((w as { command?: string[] }).command).toEqual(['node', 'services/api', '--worker']);
    expect(env('worker').REDIS_URL).toBe(env('api').REDIS_URL);
    expect(Number(env('worker').API_WORKERS)).toBeGreaterThan(0);
    expect(readFileSync(join(ROOT, 'services/api/src/config.ts'), 'utf8')).toContain(
      "argv.includes('--worker')",
    );
    expect(
      environmentProblems({
        service: 'api',
        where: 'compose.yaml worker',
        env: env('worker'),
        readFile: secretReader('worker'),
      }),
    ).toEqual([]);
  });

  it('names each secret file a service reads, and the databases match docs/postgresql.md', () => {
    for (const [name, s] of Object.entries(compose.secrets)) expect(s.file, name).toBe(`./secrets/${name}`);
    for (const service of ['idp', 'ticketing', 'organizations', 'api']) {
      const url = readFileSync(join(secretsDir, `${service}_database_url`), 'utf8').trim();
      expect(url).toMatch(
        new RegExp(`^postgres://msi_${service}:[0-9a-f]{48}@postgres:5432/msi_${service}$`),
      );
      expect(compose.services.postgres!.secrets).toContain(`${service}_database_url`);
    }
  });

  it('waits for healthy dependencies, each with a health check, on declared named volumes', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, `${name} has a health check`).toBeDefined();
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe('service_healthy');
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.'))
          expect(compose.volumes, `${name} mounts ${source}`).toHaveProperty(source);
        else expect(existsSync(join(ROOT, source)), `${name} mounts ${source}`).toBe(true);
      }
    }
    const mounts = (s: string) =>
      (compose.services[s]!.volumes ?? []).map((v) => v.split(':').slice(0, 2).join(':'));
    expect(mounts('postgres')).toContain('postgres_data:/var/lib/postgresql/data');
    expect(mounts('redis')).toContain('redis_data:/data');
    expect(mounts('chroma')).toContain('chroma_data:/data');
    expect(env('chroma').CHROMA_PATH!.startsWith('/data/')).toBe(true);
    expect(mounts('idp')).toContain('idp_data:/data');
    // The API's production readiness needs BACKUP_DIR writable (hardening.ts): a volume, not read-only.
    expect(compose.services.api!.volumes).toContain(`backups:${env('api').BACKUP_DIR}`);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/chown node:node \/data \/backups/);
  });
});

describe('health checks against the real routes', () => {
  const running: Record<string, RunningService | RunningChroma> = {};
  const dirs: (() => void)[] = [];
  const DOMAIN = 'msi.localhost';
  let ports: { http: number; https: number; internal: number };
  beforeAll(async () => {
    const dir = (n: string) => {
      const d = tempDataDir(`msi-containers-${n}-`);
      dirs.push(d.cleanup);
      return d.dir;
    };
    const secret = 'containers-test-api-client-secret';
    // nginx's ports, known first: each service takes its public name on them as a Host of its own, as
    // compose's services do through their PUBLIC_URLs (the host guard answers any other with 421).
    ports = { http: await freePort(), https: await freePort(), internal: await freePort() };
    const hosts = (name: string, port: number) => ({ ALLOWED_HOSTS: `${name}.${DOMAIN}:${port}` });
    running.idp = await startService('idp', {
      MSI_DATA_DIR: dir('idp'),
      API_CLIENT_SECRET: secret,
      ...hosts('idp', ports.https),
    });
    const issuer = { IDP_ISSUER: running.idp.url };
    running.ticketing = await startService('ticketing', {
      MSI_DATA_DIR: dir('t'),
      SEED_TICKETS: '0',
      ...hosts('ticketing', ports.internal),
      ...issuer,
    });
    running.organizations = await startService('organizations', {
      MSI_DATA_DIR: dir('o'),
      ...hosts('organizations', ports.internal),
      ...issuer,
    });
    running.chroma = await startChroma({ dataDir: dir('chroma') });
    running.api = await startService('api', {
      MSI_DATA_DIR: dir('api'),
      API_CLIENT_SECRET: secret,
      TICKETING_URL: running.ticketing.url,
      ORGANIZATIONS_URL: running.organizations.url,
      CHROMA_URL: running.chroma.url,
      ...hosts('api', ports.https),
      ...issuer,
    });
  });
  afterAll(async () => {
    await Promise.all(Object.values(running).map((r) => r.stop()));
    for (const cleanup of dirs) cleanup();
  });

  /** deploy/healthcheck.mjs, as the container runs it, against a service on `port`. */
  const healthcheck = (port: number, path: string) =>
    spawnSync(process.execPath, [join(ROOT, 'deploy/healthcheck.mjs'), path], {
      env: { PATH: process.env.PATH, PORT: String(port) },
      encoding: 'utf8',
    });

  for (const service of OURS)
    it(`${service}: compose’s health check passes against the running service, and a wrong path fails`, () => {
      const path = healthPath(compose.services[service]!);
      expect(path, `${service}'s health check runs deploy/healthcheck.mjs`).toBe(SERVICES[service].health);
      const port = running[service]!.port;
      const ok = healthcheck(port, path!);
      expect(ok.status, ok.stderr).toBe(0);
      const wrong = healthcheck(port, `${path}-missing`);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/answered HTTP 404/);
    });

  it('nginx: its configuration runs (real nginx): the renderer, /config.json, each name proxied to its service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msi-nginx-'));
    chmodSync(dir, 0o755); // nginx's workers (another user) read the static files
    let nginx: ChildProcess | undefined;
    try {
      const domain = DOMAIN;
      const tls = spawnSync('sh', [join(ROOT, 'deploy/nginx/tls.sh')], {
        env: { PATH: process.env.PATH, MSI_DOMAIN: domain, MSI_TLS_DIR: dir },
        encoding: 'utf8',
      });
      expect(tls.status, tls.stderr).toBe(0);
      mkdirSync(join(dir, 'html'));
      writeFileSync(join(dir, 'html', 'index.html'), '<!doctype html><title>MSI Assistant</title>');
      const { http, https, internal } = ports;
      // The template as the image's entrypoint renders it, with this machine's ports, paths and services.
      let conf = interpolate(template, { MSI_DOMAIN: domain })
        .replaceAll('/tls/', `${dir}/`)
        .replace('root /usr/share/nginx/html;', `root ${dir}/html;`)
        .replace(/listen 80 default_server;/g, `listen 127.0.0.1:${http} default_server;`)
        .replace(/listen 443 /g, `listen 127.0.0.1:${https} `)
        .replace(/listen 8443 /g, `listen 127.0.0.1:${internal} `);
      for (const service of ['api', 'idp', 'ticketing', 'organizations'])
        conf = conf.replace(
          `http://${service}:${env(service).PORT};`,
          `http://127.0.0.1:${running[service]!.port};`,
        );
      const main = readFileSync(join(ROOT, 'deploy/nginx/nginx.conf'), 'utf8')
        .replaceAll('/tmp/nginx', dir)
        .replace('/dev/stderr', join(dir, 'error.log'))
        .replace('/dev/stdout', join(dir, 'access.log'))
        .replace('/etc/nginx/conf.d/*.conf', join(dir, 'msi.conf'));
      writeFileSync(join(dir, 'msi.conf'), conf);
      writeFileSync(join(dir, 'nginx.conf'), main);
      const t = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
      expect(t.status, t.stderr).toBe(0);
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: 'ignore',
      });
      await waitForHealthy(`http://127.0.0.1:${http}/healthz`, { timeoutMs: 10_000 });

      const ca = readFileSync(join(dir, 'ca.crt'));
      /** A request to `name` as a browser or a service sends it: SNI and Host, the CA checked. */
      const get = (
        name: string,
        port: number,
        path: string,
        post?: { type: string; body: string },
        extra: Record<string, string> = {},
      ) =>
        new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port,
              path,
              method: post ? 'POST' : 'GET',
              servername: name,
              headers: {
                host: port === 443 ? name : `${name}:${port}`,
                ...(post ? { 'content-type': post.type } : {}),
                ...extra,
              },
              ca,
            },
            (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
            },
          );
          req.on('error', reject);
          req.end(post?.body);
        });

      const page = await get(domain, https, '/auth/callback');
      expect(page.status).toBe(200);
      expect(page.body).toContain('MSI Assistant');
      // The same policy the desktop app's host sends (main/src/common/csp.ts) for these addresses.
      expect(page.headers['content-security-policy']).toBe(
        contentSecurityPolicy({ issuer: env('api').IDP_ISSUER!, apiUrl: env('api').PUBLIC_URL! }),
      );
      expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
      const config = await get(domain, https, '/config.json');
      expect(JSON.parse(config.body)).toEqual({
        mode: 'remote',
        issuer: env('api').IDP_ISSUER,
        clientId: CLIENT_IDS.desktop,
        apiUrl: env('api').PUBLIC_URL,
        scopes: DESKTOP_SCOPES,
      });
      expect(env('api').ALLOWED_ORIGINS).toBe(`https://${domain}`);
      expect(env('idp').ALLOWED_ORIGINS).toBe(`https://${domain}`);
      for (const [name, port, service] of [
        [`api.${domain}`, https, 'api'],
        [`idp.${domain}`, https, 'idp'],
        [`ticketing.${domain}`, internal, 'ticketing'],
        [`organizations.${domain}`, internal, 'organizations'],
      ] as const) {
        const health = await get(name, port, '/healthz');
        expect(health.status, `${name} → ${service}`).toBe(200);
        expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', service });
        // Beyond the health probe (answered for any Host): nginx forwards the Host the service expects.
        const ready = await get(name, port, '/readyz');
        expect(ready.headers['content-type'], `${name}/readyz`).toMatch(/json/);
        expect(ready.status, `${name}/readyz: ${ready.body}`).not.toBe(421);
      }
      // One request id across the hop: the client's, else nginx's (32 hex digits), echoed by the API.
      const withId = await get(`api.${domain}`, https, '/healthz', undefined, {
        'x-request-id': 'turn-42.a',
      });
      expect(withId.headers['x-request-id']).toBe('turn-42.a');
      const withoutId = await get(`api.${domain}`, https, '/healthz');
      expect(withoutId.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      // The largest body the API takes (a knowledge upload) passes nginx: the API itself answers (no
      // token: 401), not nginx's 413.
      const largest = 2 * MAX_UPLOAD_BYTES + 64 * 1024 - 1024;
      const upload = await get(`api.${domain}`, https, API_ROUTES.documents, {
        type: 'application/json',
        body: JSON.stringify({ title: 'big', text: 'x'.repeat(largest - 40) }),
      });
      expect(upload.status).toBe(401);
      expect(JSON.parse(upload.body)).toMatchObject({ error: 'unauthorized' });
      // The MCP servers are not on the public port; an unknown name is no one's.
      expect((await get(`ticketing.${domain}`, https, '/healthz')).status).toBe(421);
      expect((await get(`other.${domain}`, https, '/healthz')).status).toBe(421);
      const plain = await fetch(`http://127.0.0.1:${http}/chat`, { redirect: 'manual' });
      expect(plain.status).toBe(301);
      expect(plain.headers.get('location')).toMatch(/^https:\/\//);
    } finally {
      if (nginx) {
        const gone = new Promise((r) => nginx!.once('exit', r));
        nginx.kill('SIGQUIT');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL’s first start: deploy/postgres/init-databases.sh on a scratch cluster', () => {
  let cluster: ScratchCluster;
  let service: RunningService | undefined;
  const dirs: (() => void)[] = [];
  beforeAll(async () => {
    cluster = await startScratchCluster();
  });
  afterAll(async () => {
    await service?.stop();
    cluster?.stop();
    for (const cleanup of dirs) cleanup();
  });
  /** A service's URL from its secret, pointed at the scratch cluster instead of the `postgres` container. */
  const urlOf = (s: string) =>
    readFileSync(join(secretsDir, `${s}_database_url`), 'utf8')
      .trim()
      .replace('@postgres:5432/', `@127.0.0.1:${cluster.port}/`);

  it('makes each service’s role and database with the password of its URL secret, and citext', async () => {
    const init = spawnSync('sh', [join(ROOT, 'deploy/postgres/init-databases.sh')], {
      env: { PATH: process.env.PATH, ...cluster.env, POSTGRES_USER: 'postgres', MSI_SECRETS_DIR: secretsDir },
      encoding: 'utf8',
    });
    expect(init.status, init.stderr).toBe(0);
    for (const s of ['idp', 'ticketing', 'organizations', 'api']) {
      const [row] = await pgQuery<{ user: string; db: string; owner: string; superuser: boolean }>(
        urlOf(s),
        `SELECT current_user AS user, current_database() AS db, pg_get_userbyid(d.datdba) AS owner,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser
           FROM pg_database d WHERE d.datname = current_database()`,
      );
      expect(row).toEqual({ user: `msi_${s}`, db: `msi_${s}`, owner: `msi_${s}`, superuser: false });
    }
    const ext = await pgQuery<{ extname: string }>(
      urlOf('ticketing'),
      "SELECT extname FROM pg_extension WHERE extname = 'citext'",
    );
    expect(ext).toEqual([{ extname: 'citext' }]);
    // The password is checked (scram over TCP): another one is refused.
    await expect(pgQuery(urlOf('api').replace(/:[0-9a-f]{48}@/, ':wrong@'), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('ticketing starts on its own role and database from DATABASE_URL_FILE and is ready', async () => {
    const d = tempDataDir('msi-containers-pg-');
    dirs.push(d.cleanup);
    const file = join(d.dir, 'ticketing_database_url');
    writeFileSync(file, `${urlOf('ticketing')}\n`);
    service = await startService('ticketing', {
      MSI_DATA_DIR: d.dir,
      SEED_TICKETS: '5',
      IDP_ISSUER: 'http://127.0.0.1:9',
      DATABASE_URL_FILE: file,
    });
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    const [count] = await pgQuery<{ n: string }>(urlOf('ticketing'), 'SELECT count(*) AS n FROM tickets');
    expect(Number(count!.n)).toBe(5);
  });

  it('the backup container backs every database up from its URL secret (deploy/backup/run.sh --once)', () => {
    const b = compose.services.backup!;
    // What run.sh reads: its variables, and each service's URL secret.
    const script = readFileSync(join(ROOT, 'deploy/backup/run.sh'), 'utf8');
    for (const name of Object.keys(env('backup')))
      expect(script, `run.sh reads ${name}`).toContain(`\${${name}:-`);
    for (const s of ['idp', 'ticketing', 'organizations', 'api'])
      expect(b.secrets).toContain(`${s}_database_url`);
    expect(b.volumes).toContain(`backups:${env('backup').BACKUP_OUT}`);
    const d = tempDataDir('msi-containers-backup-');
    dirs.push(d.cleanup);
    const secrets = join(d.dir, 'secrets');
    mkdirSync(secrets);
    for (const s of ['idp', 'ticketing', 'organizations', 'api'])
      writeFileSync(join(secrets, `${s}_database_url`), `${urlOf(s)}\n`);
    const out = join(d.dir, 'backups');
    const run = spawnSync('sh', [join(ROOT, 'deploy/backup/run.sh'), '--once'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, MSI_SECRETS_DIR: secrets, BACKUP_OUT: out },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const archives = readdirSync(out).filter((f) => /^msi-backup-.*\.tar\.gz$/.test(f));
    expect(archives).toHaveLength(1);
    const verify = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts/backup.mjs'), 'verify', join(out, archives[0]!)],
      {
        encoding: 'utf8',
      },
    );
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toMatch(/every checksum matches/);
    const manifest = spawnSync('tar', ['-xzOf', join(out, archives[0]!), 'manifest.json'], {
      encoding: 'utf8',
    });
    expect(manifest.status, manifest.stderr).toBe(0);
    expect(manifest.stdout).toMatch(/msi_ticketing/);
    for (const s of ['idp', 'ticketing', 'organizations', 'api'])
      expect(manifest.stdout).toContain(`msi_${s}`);
  });
});

/** The Dockerfile's stages: name → its FROM and its instructions (continuation lines joined). */
function stages(file: string): Map<string, { from: string; lines: string[] }> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\\\n/g, ' ');
  const out = new Map<string, { from: string; lines: string[] }>();
  let current: { from: string; lines: string[] } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { from: from[1]!, lines: [] };
      out.set(from[2] ?? `#${out.size}`, current);
    } else current?.lines.push(line);
  }
  return out;
}
/** A stage's instructions with those of the stages it is built FROM (the first its base). */
function chain(all: ReturnType<typeof stages>, name: string): string[] {
  const s = all.get(name);
  if (!s) return [];
  return [...chain(all, s.from), ...s.lines];
}

describe('the Dockerfiles', () => {
  const node = stages('Dockerfile');

  for (const service of OURS)
    it(`${service}: a target on the non-root runtime, started as its package's main, port and health check as compose says`, () => {
      const s = compose.services[service]!;
      expect(s.build?.target).toBe(service);
      expect(s.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
      expect(node.has(service), `stage ${service}`).toBe(true);
      const lines = chain(node, service);
      const users = lines.filter((l) => /^USER\s/i.test(l));
      expect(users.at(-1)).toBe('USER node');
      expect(lines.at(-1)).toBe(`CMD ["node", "services/${service}"]`);
      // `node services/<name>` runs the package's main: it is built, and the target copies it.
      expect(existsSync(join(ROOT, serviceMain(service))), serviceMain(service)).toBe(true);
      expect(lines).toContain(`COPY --from=build /app/services/${service}/dist services/${service}/dist`);
      const port = env(service).PORT;
      expect(lines).toContain(`EXPOSE ${port}`);
      expect(lines).toContain(`ENV PORT=${port}`);
      const hc = lines.find((l) => l.startsWith('HEALTHCHECK'));
      expect(hc).toContain(`CMD ["node", "deploy/healthcheck.mjs", "${healthPath(s)}"]`);
      expect(lines.some((l) => l.startsWith('COPY deploy/healthcheck.mjs'))).toBe(true);
    });

  it('backup: a target with pg_dump, non-root, running deploy/backup/run.sh, healthy while an archive is recent', () => {
    expect(compose.services.backup!.build?.target).toBe('backup');
    const lines = chain(node, 'backup');
    expect(lines.filter((l) => /^USER\s/i.test(l)).at(-1)).toBe('USER node');
    expect(lines.join('\n')).toMatch(/postgresql-client-15/);
    expect(lines).toContain('COPY scripts/backup.mjs scripts/backup.mjs');
    expect(lines.at(-1)).toBe('CMD ["deploy/backup/run.sh"]');
    // The same check in the image and in compose; the age is the API's BACKUP_MAX_AGE_HOURS default.
    const age = `-mmin -${Number(SERVICES.api.spec.BACKUP_MAX_AGE_HOURS!.def) * 60}`;
    expect(lines.find((l) => l.startsWith('HEALTHCHECK'))).toContain(age);
    expect(compose.services.backup!.healthcheck!.test.join(' ')).toContain(age);
    // The postgres image is the major version whose pg_dump the backup image installs.
    expect(compose.services.postgres!.image).toMatch(/^postgres:15-/);
  });

  it('builds with the toolchain and runs with production dependencies only', () => {
    expect([...node.keys()].slice(0, 6)).toEqual([
      'deps',
      'build',
      'prod-deps',
      'prod-deps-services',
      'base',
      'runtime',
    ]);
    expect(node.get('deps')!.lines.join('\n')).toMatch(/python3 make g\+\+/);
    expect(node.get('prod-deps')!.lines.join('\n')).toMatch(/npm ci --omit=dev/);
    // The images start from the plain Node image: no toolchain, no dev dependencies in them.
    expect(node.get('base')!.from).toBe('${NODE_IMAGE}');
    for (const target of OURS) {
      const lines = chain(node, target).join('\n');
      expect(lines, target).not.toMatch(/apt-get|--from=deps /);
      expect(lines, target).toMatch(
        target === 'chroma'
          ? /COPY --from=prod-deps \/app\/node_modules node_modules/
          : /COPY --from=prod-deps-services \/app\/node_modules node_modules/,
      );
    }
  });

  it('nginx: the renderer is built in one stage and served by a non-root nginx with a health check', () => {
    const nginx = stages('deploy/nginx/Dockerfile');
    expect(compose.services.nginx!.build).toMatchObject({
      dockerfile: 'deploy/nginx/Dockerfile',
      target: 'runtime',
    });
    expect(node.size).toBeGreaterThan(0);
    const runtime = nginx.get('runtime')!.lines;
    expect(nginx.get('renderer')!.lines.join('\n')).toMatch(/npm run build -w renderer/);
    expect(runtime).toContain(
      'COPY --from=renderer /app/renderer/dist/renderer/browser /usr/share/nginx/html',
    );
    expect(runtime.filter((l) => l.startsWith('USER')).at(-1)).toBe('USER nginx');
    // The base image's own server would be the default on port 80 and answer the health check with 404.
    expect(runtime.join('\n')).toMatch(/rm -f \/etc\/nginx\/conf\.d\/default\.conf/);
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK'))).toContain('http://127.0.0.1:80/healthz');
    expect(compose.services.nginx!.healthcheck!.test).toContain('http://127.0.0.1:80/healthz');
  });

  it('.dockerignore keeps the build context free of node_modules, builds, data and secrets', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', '**/dist', 'secrets', '.data', '.git']) expect(ignored).toContain(p);
  });
});

describe('nginx’s configuration', () => {
  it('sends each public name to the service on the port compose gives it', () => {
    const upstreams = Object.fromEntries(
      [...template.matchAll(/set \$(\w+) http:\/\/([a-z]+):(\d+);/g)].map((m) => [m[1], `${m[2]}:${m[3]}`]),
    );
    for (const service of ['api', 'idp', 'ticketing', 'organizations'])
      expect(upstreams[service], service).toBe(`${service}:${env(service).PORT}`);
    // The URLs the services are given are names nginx serves (and resolves to it on the edge network).
    const aliases = (compose.services.nginx!.networks as { edge: { aliases: string[] } }).edge.aliases;
    for (const url of [
      env('api').PUBLIC_URL,
      env('api').IDP_ISSUER,
      env('api').TICKETING_URL,
      env('api').ORGANIZATIONS_URL,
    ])
      expect(aliases).toContain(new URL(url!).hostname);
  });
});
