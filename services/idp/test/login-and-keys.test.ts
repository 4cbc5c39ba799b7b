/** The login page (labels, CSRF, throttling, demo one-click) and the signing keys (0600, rotation, bad data dir). */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, EXIT } from '@msi/kit';
import { tempDataDir } from '../../../test/support/data-dir.js';
import { ROOT, runToExit } from '../../../test/support/services.js';
import { loginWithPassword, pkce, startIdp, type RunningIdp } from '../../../test/support/idp.js';

let idp: RunningIdp;
beforeAll(async () => {
  idp = await startIdp({ demo: true });
});
afterAll(() => idp?.stop());

async function openLogin(issuer = idp.issuer) {
  const url = new URL(`${issuer}/authorize`);
  const p = pkce();
  const q = {
    client_id: 'msi-desktop',
    redirect_uri: 'http://localhost:1/auth/callback', // the test IDP's renderer origin, by another name
    response_type: 'code',
    scope: 'openid api',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    state: 'x',
  };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  const html = await res.text();
  const field = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1] ?? '';
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { res, html, requestId: field('request_id'), csrf: field('csrf'), cookie };
}

function postLogin(form: Record<string, string>, cookie: string, issuer = idp.issuer) {
  return fetch(`${issuer}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(form),
  });
}

describe('login page', () => {
  it('is a plain form labelled Username / Password with a Sign in button, and lists the demo users', async () => {
    const { res, html } = await openLogin();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(html).toMatch(/<label for="username">Username<\/label><input id="username"/);
    expect(html).toMatch(/<label for="password">Password<\/label><input id="password"[^>]*type="password"/);
    expect(html).toMatch(/<button class="primary" type="submit">Sign in<\/button>/);
    expect(html).toContain('MSI Assistant');
    expect(html).toContain('aria-label="Continue as Alex Rivera (agent)"');
    expect(html).not.toMatch(/<(script|link|img)\b/);
  });

  it('signs in with one click as a demo user', async () => {
    const { requestId, csrf, cookie } = await openLogin();
    const res = await postLogin({ request_id: requestId, csrf, demo_user: 'sam_supervisor' }, cookie);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('has no one-click sign-in outside demo mode', async () => {
    const plain = await startIdp({ demo: false });
    try {
      const { html, requestId, csrf, cookie } = await openLogin(plain.issuer);
      expect(html).not.toContain('Continue as');
      const res = await postLogin({ request_id: requestId, csrf, demo_user: 'admin' }, cookie, plain.issuer);
      expect(res.status).toBe(400);
    } finally {
      await plain.stop();
    }
  });

  it('refuses a post without the CSRF token or cookie', async () => {
    const { requestId, csrf, cookie } = await openLogin();
    const creds = { request_id: requestId, username: 'admin', password: 'demo' };
    expect((await postLogin({ ...creds, csrf: 'forged' }, cookie)).status).toBe(403);
    expect((await postLogin({ ...creds, csrf }, '')).status).toBe(403);
    expect((await postLogin({ ...creds, csrf }, cookie)).status).toBe(302);
  });

  it('throttles a username after repeated failures, even with the right password then', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(loginWithPassword(idp.issuer, 'linda_baker', `wrong-${i}`)).rejects.toMatchObject({
        status: 401,
      });
    }
    await expect(loginWithPassword(idp.issuer, 'linda_baker', 'demo')).rejects.toMatchObject({
      status: 429,
      description: expect.stringMatching(/Too many failed sign-in attempts/),
    });
    // Others are not affected.
    await expect(loginWithPassword(idp.issuer, 'paul_morgan')).resolves.toHaveProperty('access_token');
  });

  it('failures for many usernames from one loopback address do not lock everyone on 127.0.0.1 out', async () => {
    const fresh = await startIdp();
    try {
      for (let i = 0; i < 55; i++) {
        await expect(loginWithPassword(fresh.issuer, `nobody_${i}`, 'guess')).rejects.toMatchObject({
          status: 401,
        });
      }
      await expect(loginWithPassword(fresh.issuer, 'paul_morgan')).resolves.toHaveProperty('access_token');
    } finally {
      await fresh.stop();
    }
  });
});

describe('signing keys', () => {
  it('are kept with mode 0600, and rotation keeps the old public key published', async () => {
    const { dir, cleanup } = tempDataDir('msi-idp-keys-');
    const one = await startIdp({ dataDir: dir });
    try {
      expect(statSync(join(dir, 'idp', 'keys.json')).mode & 0o777).toBe(0o600);
      const before = await loginWithPassword(one.issuer, 'admin');
      const rotated = spawnSync(process.execPath, [join(ROOT, 'services', 'idp'), 'rotate-keys'], {
        env: { PATH: process.env.PATH, MSI_DATA_DIR: dir },
        encoding: 'utf8',
      });
      expect(rotated.status).toBe(0);
      expect(rotated.stdout).toMatch(/new signing key/);
      expect(statSync(join(dir, 'idp', 'keys.json')).mode & 0o777).toBe(0o600);
      await new Promise((r) => setTimeout(r, 1100)); // the running IDP re-reads the key file
      const jwks = (await (await fetch(`${one.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys).toHaveLength(4); // an ES256 and an RS256 key of each generation
      const after = await loginWithPassword(one.issuer, 'admin');
      const kid = (t: string) =>
        JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid as string;
      expect(kid(after.access_token)).not.toBe(kid(before.access_token));
      const verifier = createTokenVerifier({ issuer: one.issuer, audience: one.audiences.api });
      await expect(verifier.verify(before.access_token)).resolves.toMatchObject({ username: 'admin' });
      await expect(verifier.verify(after.access_token)).resolves.toMatchObject({ username: 'admin' });
    } finally {
      await one.stop();
      cleanup();
    }
  });

  it('a key file from before RS256 ID tokens keeps its ES256 key and gains an RS256 one', async () => {
    const { dir, cleanup } = tempDataDir('msi-idp-old-keys-');
    try {
      const first = await startIdp({ dataDir: dir });
      await first.stop();
      const file = join(dir, 'idp', 'keys.json');
      const { keys } = JSON.parse(readFileSync(file, 'utf8')) as { keys: { alg: string; kid: string }[] };
      const es = keys.filter((k) => k.alg === 'ES256');
      writeFileSync(file, JSON.stringify({ keys: es }), { mode: 0o600 });
      const again = await startIdp({ dataDir: dir });
      try {
        const jwks = (await (await fetch(`${again.issuer}/jwks`)).json()) as {
          keys: { kid: string; alg: string }[];
        };
        expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
        expect(jwks.keys.find((k) => k.alg === 'ES256')!.kid).toBe(es[0]!.kid);
        const discovery = (await (
          await fetch(`${again.issuer}/.well-known/openid-configuration`)
        ).json()) as {
          id_token_signing_alg_values_supported: string[];
        };
        expect(discovery.id_token_signing_alg_values_supported).toContain('RS256');
      } finally {
        await again.stop();
      }
    } finally {
      cleanup();
    }
  });

  // An unusable idp.sqlite: startup.test.ts (the kit's start-up, the same for every service).
  it('a corrupt key file stops the IDP with one line naming it and exit 74', () => {
    const { dir, cleanup } = tempDataDir('msi-idp-bad-');
    try {
      mkdirSync(join(dir, 'idp'));
      writeFileSync(join(dir, 'idp', 'keys.json'), '{not json');
      const keys = runToExit('idp', { MSI_DATA_DIR: dir, API_CLIENT_SECRET: 's', PORT: '0' });
      expect(keys.status).toBe(EXIT.dataUnusable);
      expect(keys.stderr.trim().split('\n')).toHaveLength(1);
      expect(keys.stderr).toMatch(/^idp: .*keys\.json cannot be read/);
    } finally {
      cleanup();
    }
  });

  it('a missing API_CLIENT_SECRET stops the IDP with one line naming it', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'services', 'idp')], {
      env: { PATH: process.env.PATH, MSI_DATA_DIR: '/nonexistent', PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr.trim()).toBe('idp: config: API_CLIENT_SECRET must be a non-empty string (not set)');
  });
});
