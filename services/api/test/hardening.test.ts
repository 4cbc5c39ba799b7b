/**
 * GET /readyz in production mode names which item of the seed's "Security Hardening" checklist fails
 * (HTTPS, a real identity provider, secrets managed, rate limiting, monitoring, backups). The API runs as
 * a process with ALLOW_HTTP=true (start-up would refuse plain http otherwise), first on our IDP in demo
 * mode with nothing else set up, then on the third-party provider with monitoring and backups configured.
 * The MCP servers and Chroma are not started: their checks fail here and are not what this test reads.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startExternalIdp, type ExternalIdp } from '../../../test/support/external-idp.js';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { startService, type RunningService } from '../../../test/support/services.js';

const fresh = freshDirs('msi-hardening-');
const SECRET = 'k3Yq0sVw8mR2tX6zB9nC4pL7hJ1fD5gA';
const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => {});
});

interface Readiness {
  status: string;
  message?: string;
  checks: Record<string, { ok: boolean; detail: string }>;
}

async function api(env: Record<string, string | undefined>): Promise<RunningService> {
  const svc = await startService('api', {
    MSI_ENV: 'production',
    ALLOW_HTTP: 'true',
    MSI_DATA_DIR: fresh(),
    TICKETING_URL: 'http://127.0.0.1:9',
    ORGANIZATIONS_URL: 'http://127.0.0.1:9',
    CHROMA_URL: 'http://127.0.0.1:9',
    ...env,
  });
  started.push(svc);
  return svc;
}

const readyz = async (svc: RunningService) => {
  const res = await fetch(`${svc.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
};

describe('/readyz in production mode', () => {
  let idp: RunningIdp;
  let external: ExternalIdp;

  it('on the demo set-up names every checklist item that fails, with what to fix', async () => {
    idp = await startIdp({ env: { API_CLIENT_SECRET: SECRET } });
    started.push(idp);
    const secretFile = join(fresh(), 'secret');
    writeFileSync(secretFile, SECRET);
    const svc = await api({
      IDP_ISSUER: idp.issuer,
      API_CLIENT_SECRET_FILE: secretFile,
      RATE_LIMIT_REQUESTS: '5000',
    });
    const { status, body } = await readyz(svc);
    expect(status).toBe(503);
    expect(body.checks.https).toEqual({
      ok: false,
      summary: 'is not enabled (plain http)',
      detail: `plain http: PUBLIC_URL=${svc.url}, IDP_ISSUER=${idp.issuer}, TICKETING_URL=http://127.0.0.1:9, ORGANIZATIONS_URL=http://127.0.0.1:9 (ALLOW_HTTP=true)`,
    });
    expect(body.checks['identity provider']).toMatchObject({
      ok: false,
      detail: `${idp.issuer} is the embedded IDP with its demo users (IDP_DEMO=true)`,
    });
    expect(body.checks.secrets).toMatchObject({ ok: true, detail: 'API_CLIENT_SECRET from the file' });
    expect(body.checks['rate limiting']).toMatchObject({ ok: false });
    expect(body.checks.monitoring).toMatchObject({ ok: false });
    expect(body.checks.backups).toMatchObject({
      ok: false,
      detail: 'BACKUP_DIR is not set: where do the backups go?',
    });
    expect(body.message).toContain('https is not enabled (plain http)');
    expect(body.message).toContain('identity provider is the demo IDP');
    expect(body.message).toContain('monitoring is not configured');
    expect(body.message).toContain('backups are not configured');
  });

  it('on a real provider with monitoring and backups set up, only plain http is left; a stale backup fails', async () => {
    const backups = fresh();
    const backup = join(backups, 'msi-2026-12-01.tar.gz');
    writeFileSync(backup, 'a backup');
    external = await startExternalIdp({
      apiUrl: 'http://127.0.0.1:18000',
      ticketingUrl: 'http://127.0.0.1:9',
      organizationsUrl: 'http://127.0.0.1:9',
    });
    started.push(external);
    const svc = await api({
      ...external.apiEnv,
      API_CLIENT_SECRET: SECRET,
      METRICS_TOKEN: 'scrape-token-0123456789',
      BACKUP_DIR: backups,
    });
    const { body } = await readyz(svc);
    expect(body.checks['identity provider']).toEqual({
      ok: true,
      detail: `${external.issuer} (discovery ok)`,
    });
    expect(body.checks.secrets).toMatchObject({
      ok: true,
      detail: 'API_CLIENT_SECRET from the environment, METRICS_TOKEN from the environment',
    });
    expect(body.checks['rate limiting']).toEqual({ ok: true, detail: '300 requests a minute per person' });
    expect(body.checks.monitoring?.ok).toBe(true);
    expect(body.checks.backups).toEqual({
      ok: true,
      detail: `the newest backup in ${backups} is under an hour old`,
    });
    expect(body.checks.https?.ok).toBe(false);

    // Monitoring means /metrics is for the scraper's token only.
    expect((await fetch(`${svc.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${svc.url}/metrics`, {
      headers: { authorization: 'Bearer scrape-token-0123456789' },
    });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE');

    const old = (Date.now() - 30 * 3600 * 1000) / 1000;
    utimesSync(backup, old, old);
    const stale = (await readyz(svc)).body;
    expect(stale.checks.backups).toEqual({
      ok: false,
      summary: 'are out of date',
      detail: `the newest backup in ${backups} is 30 h old (BACKUP_MAX_AGE_HOURS=26)`,
    });
  });

  it('outside production mode the checklist is not part of /readyz', async () => {
    const svc = await api({ MSI_ENV: undefined, IDP_ISSUER: idp.issuer, API_CLIENT_SECRET: 'dev' });
    const { body } = await readyz(svc);
    expect(Object.keys(body.checks)).not.toContain('https');
    expect(Object.keys(body.checks)).not.toContain('backups');
  });
});
