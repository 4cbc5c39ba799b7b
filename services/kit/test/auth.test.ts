/**
 * The kit's bearer-token verifier. Tokens are signed here with jose and keys made here; the JWKS and the
 * discovery document come from a tiny local HTTP server (this tests the kit, it mocks no service). The
 * last test uses the real IDP.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createTokenVerifier, TokenError } from '../src/index.js';
import { loginWithPassword, startIdp } from '../../../test/support/idp.js';

const AUD = 'http://127.0.0.1:9000';
let server: Server;
let issuer: string;
let jwksHits = 0;
let published: JWK[] = [];
/** What the discovery document says the issuer is (default: exactly `issuer`). */
let discoveredIssuer: string | undefined;
let key: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

beforeAll(async () => {
  const k = await newKey('k1');
  key = k;
  published = [k.jwk];
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: discoveredIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      jwksHits++;
      res.end(JSON.stringify({ keys: published }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function sign(
  claims: Record<string, unknown> = {},
  o: { kid?: string; key?: CryptoKey; exp?: number; iss?: string; aud?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: 'tickets:read',
    preferred_username: 'alex_agent',
    roles: ['agent'],
    organizations: ['dallas-police'],
    client_id: 'msi-api',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? key.kid })
    .setIssuer(o.iss ?? issuer)
    .setAudience(o.aud ?? AUD)
    .setSubject('u1')
    .setIssuedAt(now - 10)
    .setExpirationTime(o.exp ?? now + 300)
    .sign(o.key ?? key.privateKey);
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const verifier = (opts: { audience?: string; jwksCooldownMs?: number } = {}) =>
  createTokenVerifier({ issuer, audience: opts.audience ?? AUD, jwksCooldownMs: opts.jwksCooldownMs ?? 0 });

async function refusal(token: string, v = verifier()): Promise<string> {
  const err = await v.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  return (err as TokenError).message;
}

describe('kit token verifier', () => {
  it('accepts a good token and gives the principal from its claims', async () => {
    const p = await verifier().verify(await sign());
    expect(p).toMatchObject({
      sub: 'u1',
      username: 'alex_agent',
      roles: ['agent'],
      organizations: ['dallas-police'],
      scopes: ['tickets:read'],
      audience: AUD,
    });
  });

  it('caches the JWKS: many verifications, one fetch', async () => {
    const v = verifier();
    const token = await sign();
    const before = jwksHits;
    for (let i = 0; i < 20; i++) await v.verify(token);
    expect(jwksHits - before).toBe(1);
  });

  it('refuses a tampered signature', async () => {
    const token = await sign();
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64({ sub: 'u1', iss: issuer, aud: AUD, roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 300, iat: 1 })}.${s}`;
    expect(await refusal(forged)).toBe('the token signature is invalid');
    const flipped = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await refusal(flipped)).toMatch(/signature is invalid|malformed/);
  });

  it('refuses alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', kid: key.kid })}.${b64({ sub: 'u1', iss: issuer, aud: AUD, exp: now + 300, iat: now })}.`;
    expect(await refusal(token)).toBe('the token uses an algorithm that is not allowed');
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const pem = await exportSPKI(key.publicKey);
    const jwkText = JSON.stringify(published[0]);
    for (const secret of [pem, jwkText]) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuer(issuer)
        .setAudience(AUD)
        .setSubject('u1')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode(secret));
      expect(await refusal(token)).toBe('the token uses an algorithm that is not allowed');
    }
  });

  it("takes the issuer as discovery spells it (Auth0's trailing slash), and no other issuer", async () => {
    discoveredIssuer = `${issuer}/`;
    try {
      const v = verifier();
      expect((await v.verify(await sign({}, { iss: `${issuer}/` }))).username).toBe('alex_agent');
      expect(await refusal(await sign(), v)).toBe('the token was not issued by the trusted issuer');
      discoveredIssuer = 'http://127.0.0.1:1';
      expect(await refusal(await sign())).toMatch(
        /cannot reach the issuer.*discovery names issuer http:\/\/127\.0\.0\.1:1/,
      );
    } finally {
      discoveredIssuer = undefined;
    }
  });

  it('accepts PS256 and RS256 keys as well as ES256; a key of an algorithm not configured is refused', async () => {
    // A Node KeyObject (not a WebCrypto key, which is bound to one algorithm): RS256 and PS256 both.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    published = [...published, { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'rsa', use: 'sig' }];
    const now = Math.floor(Date.now() / 1000);
    const rsaToken = (alg: 'PS256' | 'RS256') =>
      new SignJWT({ preferred_username: 'sam_supervisor', roles: ['supervisor'] })
        .setProtectedHeader({ alg, kid: 'rsa' })
        .setIssuer(issuer)
        .setAudience(AUD)
        .setSubject('u2')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);
    try {
      for (const alg of ['PS256', 'RS256'] as const)
        expect((await verifier().verify(await rsaToken(alg))).roles).toEqual(['supervisor']);
      const esOnly = createTokenVerifier({ issuer, audience: AUD, algorithms: ['ES256'], jwksCooldownMs: 0 });
      expect(await refusal(await rsaToken('PS256'), esOnly)).toBe(
        'the token uses an algorithm that is not allowed',
      );
    } finally {
      published = published.filter((k) => k.kid !== 'rsa');
    }
  });

  it('refuses a wrong issuer', async () => {
    expect(await refusal(await sign({}, { iss: 'http://127.0.0.1:1' }))).toBe(
      'the token was not issued by the trusted issuer',
    );
  });

  it('refuses a wrong audience', async () => {
    expect(await refusal(await sign({}, { aud: 'http://127.0.0.1:8000' }))).toBe(
      'the token is not meant for this service (wrong audience)',
    );
  });

  it('refuses an expired token (beyond the small clock tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(await sign({}, { exp: now - 30 }))).toBe('the token has expired');
    await expect(verifier().verify(await sign({}, { exp: now - 2 }))).resolves.toBeTruthy();
  });

  it('refuses an unknown kid after refetching the JWKS once', async () => {
    const stranger = await newKey('k-unknown');
    const v = verifier();
    await v.verify(await sign()); // warm
    const before = jwksHits;
    expect(await refusal(await sign({}, { kid: 'k-unknown', key: stranger.privateKey }), v)).toBe(
      'the token was signed with an unknown key',
    );
    expect(jwksHits - before).toBe(1);
  });

  it('picks up a rotated key by refetching on its unknown kid', async () => {
    const v = verifier();
    await v.verify(await sign());
    const next = await newKey('k2');
    published = [published[0]!, next.jwk];
    await expect(v.verify(await sign({}, { kid: 'k2', key: next.privateKey }))).resolves.toMatchObject({
      sub: 'u1',
    });
  });

  it('refuses a token that is not a JWT', async () => {
    expect(await refusal('not-a-token')).toBe('the bearer token is not a JWT');
  });

  it('verifies a token of the real IDP, found by discovery, and refuses it for another audience', async () => {
    const idp = await startIdp();
    try {
      const { access_token } = await loginWithPassword(idp.issuer, 'riley_agent');
      const ok = createTokenVerifier({ issuer: idp.issuer, audience: idp.audiences.api });
      await expect(ok.verify(access_token)).resolves.toMatchObject({
        username: 'riley_agent',
        roles: ['agent'],
        clientId: 'msi-desktop',
      });
      const other = createTokenVerifier({ issuer: idp.issuer, audience: idp.audiences.ticketing });
      await expect(other.verify(access_token)).rejects.toThrow('wrong audience');
    } finally {
      await idp.stop();
    }
  });
});
