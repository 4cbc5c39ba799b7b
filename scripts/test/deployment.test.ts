/**
 * The deployment recipes (docs/deployment.md) against the services' config specs, without a cloud: the
 * Heroku Procfile and app.json, the AWS ECS/Fargate task definitions and the GCP Cloud Run services.
 * Each recipe's environment must be variables the service declares, with every required one set, in
 * production mode, and accepted by the service's own parse (secrets from the platform's secret store
 * stand in with values of the right shape); ports and health checks must be the service's.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  environmentProblems,
  PLATFORM_ENV,
  ROOT,
  secretStandIn,
  serviceMain,
  SERVICES,
  type OurService,
} from './deploy-checks.js';

const DEFAULT_PORTS: Record<OurService, number> = {
  api: 8000,
  idp: 9400,
  ticketing: 9000,
  organizations: 9001,
  chroma: 8001,
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const isOurs = (n: string): n is OurService => n in SERVICES;

describe('Heroku: Procfile and app.json', () => {
  const lines = readFileSync(join(ROOT, 'Procfile'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  // Heroku's own reading of a Procfile: `type: command`, one a line.
  const processes = Object.fromEntries(
    lines.map((l) => {
      const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(l);
      if (!m) throw new Error(`Procfile: not a process line: ${l}`);
      return [m[1]!, m[2]!];
    }),
  );
  const app = JSON.parse(readFileSync(join(ROOT, 'app.json'), 'utf8')) as {
    env: Record<string, { value?: string; required?: boolean; generator?: string }>;
    addons: { plan: string; as?: string }[];
    formation: Record<string, unknown>;
  };

  it('web runs the API from its package main, the worker the same in worker mode', () => {
    expect(Object.keys(processes)).toEqual(['web', 'worker']);
    const m = /^((?:[A-Z_]+=\S+\s+)*)node (services\/([a-z]+))$/.exec(processes.web!);
    expect(m, processes.web).not.toBeNull();
    expect(m![3]).toBe('api');
    expect(existsSync(join(ROOT, serviceMain('api')))).toBe(true);
    // `--worker` is the API's worker mode (jobs on Redis, docs/jobs.md); the web dynos only enqueue.
    expect(processes.worker).toBe('node services/api --worker');
    expect(readFileSync(join(ROOT, 'services/api/src/config.ts'), 'utf8')).toContain(
      "argv.includes('--worker')",
    );
    expect(m![1]).toContain('API_WORKERS=0');
    expect(app.addons.map((a) => a.as)).toContain('REDIS');
    expect(Object.keys(app.formation)).toEqual(Object.keys(processes));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['heroku-postbuild']).toBe('tsc -b services/api');
  });

  it("its config vars are the API's, required ones set, production mode accepted", () => {
    const prefix = Object.fromEntries(
      [...processes.web!.matchAll(/([A-Z_]+)=(\S+)\s+/g)].map((m) => [m[1]!, m[2]!]),
    );
    // The values an operator sets (app.json gives descriptions): https URLs of the other services.
    const operator: Record<string, string> = {
      PUBLIC_URL: 'https://msi-api.herokuapp.com',
      IDP_ISSUER: 'https://idp.msi.example.com',
      TICKETING_URL: 'https://ticketing.msi.example.com',
      ORGANIZATIONS_URL: 'https://organizations.msi.example.com',
      CHROMA_URL: 'https://chroma.msi.example.com',
      ALLOWED_ORIGINS: 'https://msi.example.com',
    };
    const env: Record<string, string> = { ...prefix };
    for (const [name, v] of Object.entries(app.env)) {
      if (v.required === false) continue;
      env[name] = v.value ?? (v.generator === 'secret' ? secretStandIn(name, 'api') : operator[name]!);
      expect(env[name], `${name} has a value, a generator or an operator's value`).toBeDefined();
    }
    // The Heroku Postgres add-on attached as DATABASE sets DATABASE_URL, Key-Value Store as REDIS sets
    // REDIS_URL; Heroku sets PORT.
    expect(app.addons.map((a) => a.as)).toContain('DATABASE');
    expect(
      environmentProblems({
        service: 'api',
        where: 'app.json',
        env,
        platformSets: {
          PORT: '5000',
          DATABASE_URL: secretStandIn('DATABASE_URL', 'api'),
          REDIS_URL: 'rediss://:secret@ec2-0-0-0-0.compute-1.amazonaws.com:6380',
        },
      }),
    ).toEqual([]);
    for (const name of Object.keys(app.env).filter((n) => !(n in SERVICES.api.spec)))
      expect(PLATFORM_ENV, `${name} is a platform variable with a reason`).toHaveProperty(name);
  });
});

interface EcsTask {
  family: string;
  requiresCompatibilities: string[];
  networkMode: string;
  volumes?: { name: string }[];
  containerDefinitions: {
    name: string;
    image: string;
    portMappings: { containerPort: number }[];
    environment: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
    healthCheck: { command: string[] };
    mountPoints?: { sourceVolume: string }[];
    linuxParameters?: { initProcessEnabled?: boolean };
  }[];
}

describe('AWS ECS/Fargate task definitions', () => {
  const dir = join(ROOT, 'deploy/aws/ecs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('one per service of the container picture', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(
      ['api', 'chroma', 'idp', 'organizations', 'ticketing'].sort(),
    );
  });

  for (const file of files) {
    const service = file.replace(/\.json$/, '');
    it(`${service}: Fargate, its image target, port and health check, its environment and secrets`, () => {
      expect(isOurs(service)).toBe(true);
      const name = service as OurService;
      const task = JSON.parse(readFileSync(join(dir, file), 'utf8')) as EcsTask;
      expect(task.requiresCompatibilities).toEqual(['FARGATE']);
      expect(task.networkMode).toBe('awsvpc');
      expect(task.containerDefinitions).toHaveLength(1);
      const c = task.containerDefinitions[0]!;
      expect(c.name).toBe(name);
      expect(c.image).toMatch(new RegExp(`/msi/${name}:`));
      expect(dockerfile).toMatch(new RegExp(`^FROM (runtime|base) AS ${name}$`, 'm'));
      const env = Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
      expect(c.portMappings.map((p) => p.containerPort)).toEqual([Number(env.PORT)]);
      expect(Number(env.PORT)).toBe(DEFAULT_PORTS[name]);
      expect(c.healthCheck.command).toEqual(['CMD', 'node', 'deploy/healthcheck.mjs', SERVICES[name].health]);
      expect(c.linuxParameters?.initProcessEnabled).toBe(true);
      for (const m of c.mountPoints ?? []) expect(task.volumes?.map((v) => v.name)).toContain(m.sourceVolume);
      // Secrets Manager values arrive as environment variables of the same name.
      const secrets = Object.fromEntries((c.secrets ?? []).map((s) => [s.name, secretStandIn(s.name, name)]));
      for (const s of c.secrets ?? []) expect(s.valueFrom).toMatch(/^arn:aws:secretsmanager:/);
      expect(
        environmentProblems({ service: name, where: `deploy/aws/ecs/${file}`, env: { ...env, ...secrets } }),
      ).toEqual([]);
    });
  }

  it('reports a variable the service does not declare, and a demo setting', () => {
    const task = JSON.parse(readFileSync(join(dir, 'idp.json'), 'utf8')) as EcsTask;
    const c = task.containerDefinitions[0]!;
    const env = Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
    const secrets = Object.fromEntries((c.secrets ?? []).map((s) => [s.name, secretStandIn(s.name, 'idp')]));
    expect(
      environmentProblems({
        service: 'idp',
        where: 'idp.json',
        env: { ...env, ...secrets, IDP_ISSUER: 'x' },
      }),
    ).toEqual(['idp.json: IDP_ISSUER is not a variable of idp (its config spec does not declare it)']);
    expect(
      environmentProblems({
        service: 'idp',
        where: 'idp.json',
        env: { ...env, ...secrets, API_CLIENT_SECRET: 'demo' },
      })[0],
    ).toMatch(
      /API_CLIENT_SECRET must be a secret of the deployment when MSI_ENV=production \(it is a published default/,
    );
  });
});

interface KnativeService {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: {
        containers: {
          image: string;
          ports: { containerPort: number }[];
          env: {
            name: string;
            value?: string;
            valueFrom?: { secretKeyRef: { name: string; key: string } };
          }[];
          startupProbe?: { httpGet: { path: string; port: number } };
          livenessProbe?: { httpGet: { path: string; port: number } };
        }[];
      };
    };
  };
}

describe('GCP Cloud Run services', () => {
  const dir = join(ROOT, 'deploy/gcp/cloudrun');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('one per stateless service (Chroma needs a disk: not Cloud Run, see the doc)', () => {
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual(
      ['api', 'idp', 'organizations', 'ticketing'].sort(),
    );
  });

  for (const file of files) {
    const service = file.replace(/\.yaml$/, '');
    it(`${service}: a knative Service, its port and probes, its environment and secrets`, () => {
      expect(isOurs(service)).toBe(true);
      const name = service as OurService;
      const doc = yaml.load(readFileSync(join(dir, file), 'utf8')) as KnativeService;
      expect(doc.apiVersion).toBe('serving.knative.dev/v1');
      expect(doc.kind).toBe('Service');
      expect(doc.metadata.name).toBe(`msi-${name}`);
      const [c, ...more] = doc.spec.template.spec.containers;
      expect(more).toHaveLength(0);
      expect(c!.image).toMatch(new RegExp(`/msi/${name}:`));
      const port = c!.ports[0]!.containerPort;
      expect(port).toBe(DEFAULT_PORTS[name]);
      for (const probe of [c!.startupProbe, c!.livenessProbe]) {
        expect(probe?.httpGet.path).toBe(SERVICES[name].health);
        expect(probe?.httpGet.port).toBe(port);
      }
      // Cloud Run sets PORT itself (to the container port) and refuses it in env.
      expect(c!.env.map((e) => e.name)).not.toContain('PORT');
      const env = Object.fromEntries(
        c!.env.map((e) => [e.name, e.valueFrom ? secretStandIn(e.name, name) : e.value!]),
      );
      for (const e of c!.env)
        expect(e.value !== undefined || e.valueFrom?.secretKeyRef.key === 'latest').toBe(true);
      expect(
        environmentProblems({
          service: name,
          where: `deploy/gcp/cloudrun/${file}`,
          env,
          platformSets: { PORT: String(port) },
        }),
      ).toEqual([]);
    });
  }
});
