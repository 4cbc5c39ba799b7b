/**
 * The topology for real (`npx tsc -b tsconfig.build.json` and the built renderer first): PostgreSQL,
 * Redis, Chroma, IDP, 2 ticketing, 2 organizations, 3 API instances behind Debian's nginx with a
 * self-signed certificate. Checks that nginx serves that certificate, balances across the API instances,
 * keeps answering a signed-in person when one instance is killed, and that stop() leaves nothing behind.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../../test/support/api-client.js';
import { loginWithPassword } from '../../../../test/support/idp.js';
import { isAlive, tempDataDir } from '../../../../test/support/services.js';
import { trustCertificate } from '../../../../test/support/tls-fetch.js';
import { dropDatabases, freePortRun } from '../../../src/node/topology/infra.js';
import { DATABASE_SERVICES, databaseName } from '../../../src/node/topology/plan.js';
import { httpsGet, Topology } from '../../../src/node/topology/topology.js';

const DB_URL = process.env.MSI_TEST_DATABASE_URL || 'postgres://root@127.0.0.1:5432';
const prefix = `msi_t_topo_${randomBytes(3).toString('hex')}`;
const dir = tempDataDir('msi-topology-');
let topology: Topology;
let ca: string;
let untrust: () => void;

const apiPids = () =>
  topology
    .snapshot()
    .instances.filter((i) => i.service === 'api')
    .map((i) => i.pid);

beforeAll(async () => {
  topology = new Topology({
    dataDir: dir.dir,
    port: await freePortRun(5),
    databaseUrl: DB_URL,
    dbPrefix: prefix,
  });
  await topology.start();
  ca = readFileSync(topology.certFile, 'utf8');
  untrust = trustCertificate(ca);
}, 240_000);

afterAll(async () => {
  untrust?.();
  const pids = topology?.pids() ?? [];
  await topology?.stop();
  expect(pids.filter(isAlive), 'every process the topology started has exited').toEqual([]);
  await dropDatabases(
    DB_URL,
    DATABASE_SERVICES.map((s) => databaseName(prefix, s)),
  );
  dir.cleanup();
}, 60_000);

describe('the topology behind nginx', () => {
  it('serves its self-signed certificate on every origin, which an untrusting client refuses', async () => {
    const made = new X509Certificate(ca);
    expect(made.checkIP('127.0.0.1')).toBe('127.0.0.1');
    for (const url of [topology.webUrl, ...Object.values(topology.publicUrls)]) {
      const port = Number(new URL(url).port);
      const served = await new Promise<X509Certificate>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
          const c = s.getPeerX509Certificate();
          s.end();
          if (c) resolve(c);
          else reject(new Error('no certificate'));
        });
        s.once('error', reject);
      });
      expect(served.fingerprint256, url).toBe(made.fingerprint256);
    }
    await expect(httpsGet(`${topology.webUrl}/config.json`, '')).rejects.toThrow(/self.signed|certificate/i);
  });

  it('serves the renderer and a /config.json in Remote mode on the balanced endpoints', async () => {
    const index = await httpsGet(`${topology.webUrl}/c/some-conversation`, ca);
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>MSI Assistant</title>');
    const cfg = JSON.parse((await httpsGet(`${topology.webUrl}/config.json`, ca)).body) as Record<
      string,
      string
    >;
    expect(cfg).toMatchObject({
      mode: 'remote',
      issuer: topology.publicUrls.idp,
      apiUrl: topology.publicUrls.api,
    });
    const discovery = JSON.parse((await httpsGet(`${cfg.issuer}/.well-known/openid-configuration`, ca)).body);
    expect(discovery.issuer).toBe(topology.publicUrls.idp);
  });

  it('balances requests across the three API instances', async () => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 9; i++) {
      const res = await httpsGet(`${topology.publicUrls.api}/healthz`, ca);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id'], 'nginx names each request').toBeTruthy();
      const pid = (JSON.parse(res.body) as { pid: number }).pid;
      seen.set(pid, (seen.get(pid) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...apiPids()].sort());
    // A request id and trace context sent by the client reach nginx's log with the instance that answered.
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const rid = `topology-test-${randomBytes(4).toString('hex')}`;
    const traced = await httpsGet(`${topology.publicUrls.api}/healthz`, ca, 5000, {
      'x-request-id': rid,
      traceparent,
    });
    expect(traced.headers['x-request-id']).toBe(rid);
    // nginx writes the line when it finalizes the request, which may be just after the answer arrived.
    const line = new RegExp(`rid=${rid} traceparent="${traceparent}" upstream=127\\.0\\.0\\.1:\\d+`);
    const accessLog = () => readFileSync(join(dir.dir, 'nginx', 'logs', 'access.log'), 'utf8');
    for (let i = 0; i < 50 && !line.test(accessLog()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(accessLog()).toMatch(line);
    expect(Math.min(...seen.values()), 'each instance answered some').toBeGreaterThanOrEqual(2);
  });

  it('keeps answering a signed-in person through nginx when an API instance is killed', async () => {
    const tokens = await loginWithPassword(topology.publicUrls.idp, 'alex_agent', 'demo', {
      resource: topology.publicUrls.api,
      redirectUri: `${topology.webUrl}/auth/callback`,
    });
    const api = topology.publicUrls.api;
    const conv = await call<{ id: string }>(api, tokens.access_token, 'POST', '/api/conversations', {});
    expect(conv.status).toBe(201);
    // A turn crosses nginx three ways: the API exchanges the token at the IDP and calls ticketing.
    const turn = await sendMessage(api, tokens.access_token, conv.body.id, 'Show my open tickets');
    expect(turn.status).toBe(200);
    expect(
      turn.of('tool.completed').length,
      'the ticket search ran through the balanced MCP servers',
    ).toBeGreaterThan(0);

    const victim = topology.snapshot().instances.find((i) => i.id === 'api-2')!;
    const exited = new Promise<void>((resolve) => {
      const check = () => (isAlive(victim.pid) ? setTimeout(check, 20) : resolve());
      check();
    });
    process.kill(victim.pid!, 'SIGKILL');
    await exited;
    const upstreams: string[] = [];
    for (let i = 0; i < 9; i++) {
      const list = await call<{ conversations: { id: string }[] }>(
        api,
        tokens.access_token,
        'GET',
        '/api/conversations',
      );
      expect(list.status, `request ${i} after the kill`).toBe(200);
      expect(list.body.conversations.map((c) => c.id)).toContain(conv.body.id);
      upstreams.push(list.headers.get('x-upstream') ?? '');
    }
    // nginx tried the dead instance and sent the request on to another ("dead:port, other:port").
    const deadAddr = new URL(victim.url).host;
    expect(
      upstreams.some((u) => u.startsWith(`${deadAddr}, `)),
      upstreams.join(' | '),
    ).toBe(true);
    // The supervisor starts it again on its port (a new pid, ready): the topology's own report says so.
    await new Promise<void>((resolve) => {
      const check = () => {
        const now = topology.snapshot().instances.find((i) => i.id === 'api-2')!;
        if (now.state === 'ready' && now.pid !== victim.pid) {
          topology.off('change', check);
          resolve();
        }
      };
      topology.on('change', check);
      check();
    });
  });
});
