/**
 * The IDP's store on both backends through the real process: sign-in, refresh rotation and reuse detection,
 * revocation and readiness; on PostgreSQL also two IDP processes on one database (seeded once, a refresh
 * token spent by only one of two racing requests) and a database that goes away and comes back (readiness
 * fails naming it, /token answers 503 `unavailable` and spends nothing, then it recovers by itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backends,
  freshDatabase,
  pgQuery,
  tcpProxy,
  type FreshDatabase,
  type TcpProxy,
} from '../../../test/support/database.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import {
  IdpError,
  loginWithPassword,
  refresh,
  startIdp,
  type RunningIdp,
} from '../../../test/support/idp.js';

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const refused = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as IdpError,
  );

describe.each(backends())('IDP store on %s', (backend) => {
  let pgdb: FreshDatabase | undefined;
  let idp: RunningIdp;
  beforeAll(async () => {
    pgdb = backend === 'postgres' ? await freshDatabase('idp') : undefined;
    idp = await startIdp({ env: pgdb ? { DATABASE_URL: pgdb.url } : {} });
  });
  afterAll(async () => {
    await idp?.stop();
    await pgdb?.drop();
  });

  it('is ready on its database, signs in (usernames ignoring case), rotates refresh tokens and catches reuse', async () => {
    expect(await readyz(idp.url)).toMatchObject({ status: 200, body: { status: 'ready' } });
    const login = await loginWithPassword(idp.url, 'James_Smith');
    const next = await refresh(idp.url, login.refresh_token!);
    expect(next.refresh_token).toBeTruthy();
    // The spent token again: reuse revokes the whole sign-in, the rotated one with it.
    expect((await refused(refresh(idp.url, login.refresh_token!)))?.error).toBe('invalid_grant');
    expect((await refused(refresh(idp.url, next.refresh_token!)))?.description).toMatch(/revoked/);
    if (pgdb) {
      const users = await pgQuery<{ n: number }>(pgdb.url, 'SELECT count(*)::int AS n FROM users');
      expect(users[0]!.n).toBeGreaterThan(0);
      const grants = await pgQuery<{ revoked_at: number | null }>(pgdb.url, 'SELECT revoked_at FROM grants');
      expect(grants.every((g) => g.revoked_at !== null)).toBe(true);
    }
  });
});

describe.runIf(backends().includes('postgres'))('IDP on PostgreSQL', () => {
  let pgdb: FreshDatabase;
  let proxy: TcpProxy;
  const running: RunningIdp[] = [];
  const keys = tempDataDir('msi-idp-pg-');
  beforeAll(async () => {
    pgdb = await freshDatabase('idp_pg');
    proxy = await tcpProxy();
  });
  afterAll(async () => {
    for (const r of running) await r.stop();
    await proxy?.close();
    await pgdb?.drop();
    keys.cleanup();
  });

  it('two processes on one database: seeded once, and of two racing refreshes with one token only one wins', async () => {
    // One data dir: the two share the signing keys, as instances behind one load balancer do.
    const env = { DATABASE_URL: pgdb.url };
    const [a, b] = await Promise.all([
      startIdp({ dataDir: keys.dir, env }),
      startIdp({ dataDir: keys.dir, env }),
    ]);
    running.push(a, b);
    const users = await pgQuery<{ n: number; distinct: number }>(
      pgdb.url,
      'SELECT count(*)::int AS n, count(DISTINCT lower(username))::int AS distinct FROM users',
    );
    expect(users[0]!.n).toBe(users[0]!.distinct);
    for (let round = 0; round < 3; round++) {
      const login = await loginWithPassword(a.url, 'alex_agent');
      const results = await Promise.allSettled([
        refresh(a.url, login.refresh_token!),
        refresh(b.url, login.refresh_token!),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as IdpError).error).toBe('invalid_grant');
    }
  });

  it('a database that goes away: not ready naming it, /token 503 spending nothing, and back by itself', async () => {
    const idp = await startIdp({
      env: { DATABASE_URL: proxy.via(pgdb.url), DATABASE_CONNECT_TIMEOUT_MS: '5000' },
    });
    running.push(idp);
    const login = await loginWithPassword(idp.url, 'james_smith');
    await proxy.cut();
    const down = await readyz(idp.url);
    expect(down.status).toBe(503);
    expect(down.body.message).toBe('not ready: database is unavailable');
    expect(JSON.stringify(down.body.checks)).toContain('the idp database is unavailable');
    const res = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'msi-desktop',
        refresh_token: login.refresh_token!,
      }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: 'unavailable',
      message: expect.stringContaining('the idp database is unavailable'),
    });
    await proxy.restore();
    let ready = 0;
    for (let i = 0; i < 40 && ready !== 200; i++) {
      ready = (await readyz(idp.url)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(200);
    // The refused request spent nothing: the same refresh token still works, once.
    const next = await refresh(idp.url, login.refresh_token!);
    expect(next.access_token).toBeTruthy();
  });
});
