/**
 * The topology's plan and nginx.conf without starting anything but `nginx -t`: each instance's
 * environment is one its service's own config spec accepts (with every URL the public one through nginx),
 * the renderer's /config.json is Remote mode on those URLs, and Debian's nginx accepts the written config
 * with the directives the deployment relies on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../../../../services/api/src/config.js';
import { MAX_UPLOAD_BYTES } from '../../../../services/api/src/knowledge/upload.js';
import { parseIdpConfig } from '../../../../services/idp/src/config.js';
import { parseOrganizationsConfig } from '../../../../services/organizations/src/config.js';
import { parseTicketingConfig } from '../../../../services/ticketing/src/config.js';
import { tempDataDir } from '../../../../test/support/services.js';
import { makeCertificate } from '../../../src/node/topology/infra.js';
import { CLIENT_MAX_BODY_BYTES, nginxConf } from '../../../src/node/topology/nginx-conf.js';
import { instanceEnv, instanceIds, makePlan, rendererConfig } from '../../../src/node/topology/plan.js';

const ports = instanceIds().map((_, i) => 20_000 + i);
const plan = makePlan(8443, [...ports, 21_000], ['http://127.0.0.1:4200']);
const inputs = {
  dataDir: '/srv/msi',
  databaseUrls: {
    idp: 'postgres://root@127.0.0.1:5432/msi_idp',
    ticketing: 'postgres://root@127.0.0.1:5432/msi_ticketing',
    organizations: 'postgres://root@127.0.0.1:5432/msi_organizations',
    api: 'postgres://root@127.0.0.1:5432/msi_api',
  },
  redisUrl: 'redis://127.0.0.1:6379',
  redisKeyPrefix: 'msi:topology:8443:',
  apiClientSecret: 'a-topology-secret-that-is-long-enough',
  chromaToken: 'chroma-token',
  certFile: '/srv/msi/tls/cert.pem',
};

describe('the topology plan', () => {
  it('runs IDP ×1, ticketing ×2, organizations ×2, API ×3 on their own ports', () => {
    const count = (s: string) => plan.instances.filter((i) => i.service === s).length;
    expect([count('idp'), count('ticketing'), count('organizations'), count('api')]).toEqual([1, 2, 2, 3]);
    expect(new Set(plan.instances.map((i) => i.port)).size).toBe(plan.instances.length);
    expect(plan.publicUrls).toEqual({
      api: 'https://127.0.0.1:8444',
      idp: 'https://127.0.0.1:8445',
      ticketing: 'https://127.0.0.1:8446',
      organizations: 'https://127.0.0.1:8447',
    });
  });

  it("gives each instance an environment its service's config spec accepts, with nginx's URLs", () => {
    for (const inst of plan.instances) {
      const env = instanceEnv(plan, inst, inputs);
      expect(env.TRUST_PROXY, inst.id).toBe('127.0.0.1');
      expect(env.DATABASE_URL, inst.id).toBe(inputs.databaseUrls[inst.service]);
      expect(env.PORT).toBe(String(inst.port));
      if (inst.service === 'api') {
        const cfg = parseApiConfig(env);
        expect(cfg.publicUrl).toBe(plan.publicUrls.api);
        expect(cfg.IDP_ISSUER).toBe(plan.publicUrls.idp);
        expect(cfg.TICKETING_URL).toBe(plan.publicUrls.ticketing);
        expect(cfg.ALLOWED_ORIGINS).toEqual(['https://127.0.0.1:8443', 'http://127.0.0.1:4200']);
        expect(cfg.TRUST_PROXY).toEqual(['127.0.0.1']);
        expect(env.REDIS_URL).toBe(inputs.redisUrl);
      } else if (inst.service === 'idp') {
        const cfg = parseIdpConfig(env);
        expect(cfg.issuer).toBe(plan.publicUrls.idp);
        expect(cfg.API_URL).toBe(plan.publicUrls.api);
        expect(cfg.ORGANIZATIONS_URL).toBe(plan.publicUrls.organizations);
      } else {
        const cfg = (inst.service === 'ticketing' ? parseTicketingConfig : parseOrganizationsConfig)(env);
        expect(cfg.PUBLIC_URL).toBe(plan.publicUrls[inst.service]);
        expect(cfg.IDP_ISSUER).toBe(plan.publicUrls.idp);
      }
    }
    expect(rendererConfig(plan)).toMatchObject({
      mode: 'remote',
      issuer: plan.publicUrls.idp,
      apiUrl: plan.publicUrls.api,
    });
  });

  it("takes uploads as large as the API's knowledge route does", () => {
    expect(CLIENT_MAX_BODY_BYTES).toBe(2 * MAX_UPLOAD_BYTES + 64 * 1024);
  });
});

describe('nginx.conf', () => {
  const dir = tempDataDir('msi-topology-conf-');
  const cert = makeCertificate('openssl', join(dir.dir, 'tls'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir.dir, 'nginx', d), { recursive: true });
  const conf = nginxConf(plan, {
    prefix: join(dir.dir, 'nginx'),
    ...cert,
    rendererDir: join(dir.dir, 'renderer'),
    configJson: join(dir.dir, 'config.json'),
  });

  it('is accepted by Debian nginx (nginx -t)', () => {
    const file = join(dir.dir, 'nginx', 'nginx.conf');
    writeFileSync(file, conf);
    const r = spawnSync(
      '/usr/sbin/nginx',
      ['-t', '-p', join(dir.dir, 'nginx'), '-c', file, '-e', join(dir.dir, 'nginx', 'logs', 'error.log')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toContain('syntax is ok');
    expect(r.stderr).toContain('test is successful');
    expect(r.status).toBe(0);
    dir.cleanup();
  });

  it('balances each service over its instances, passes the proxy and trace headers, streams SSE unbuffered', () => {
    const upstream = (s: string) =>
      new RegExp(`upstream msi_${s} \\{[^}]*least_conn;([^}]*)\\}`).exec(conf)?.[1] ?? '';
    expect(upstream('api').match(/server 127\.0\.0\.1:\d+/g)).toHaveLength(3);
    expect(upstream('ticketing').match(/server 127\.0\.0\.1:\d+/g)).toHaveLength(2);
    expect(upstream('organizations').match(/server 127\.0\.0\.1:\d+/g)).toHaveLength(2);
    for (const h of [
      'X-Forwarded-For',
      'X-Forwarded-Proto',
      'X-Forwarded-Host',
      'X-Request-Id',
      'traceparent',
    ])
      expect(conf).toContain(`proxy_set_header ${h} `);
    const api = /listen 127\.0\.0\.1:8444 ssl;[\s\S]*?\n {2}\}/.exec(conf)?.[0] ?? '';
    expect(api).toContain('proxy_buffering off;');
    expect(api).toMatch(/proxy_read_timeout [1-9]\d{2,}s;/);
    expect(api).toContain(`client_max_body_size ${CLIENT_MAX_BODY_BYTES};`);
    expect(conf).toContain('listen 127.0.0.1:8443 ssl;');
    expect(conf).toContain('try_files $uri $uri/ /index.html;');
  });
});
