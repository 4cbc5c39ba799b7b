/**
 * Tokens an attacker would try against our resource servers, each built from a real token of the real
 * IDP (so only the forgery differs): unsigned, key confusion (HS256 keyed with the IDP's public key),
 * an attacker's own keys under the IDP's kid, keys smuggled in the header (`jwk`, `jku`, `x5u`), tampered
 * claims under the real signature, a swapped `alg`, stripped or broken signatures, another issuer's
 * token, tokens for another audience, an ID token and a refresh token as bearer, unknown `crit`
 * extensions. Used by the forged-token test and the benchmark that prints the count.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';

export interface Forged {
  kind: string;
  token: string;
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (jwt: string) => {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload & Record<string, unknown>,
    h,
    p,
    s,
  };
};

export interface ForgeInput {
  /** A valid access token for the target resource (the control: it must be accepted). */
  valid: string;
  /** The IDP's published JWKS (its public keys). */
  jwks: { keys: Record<string, unknown>[] };
  /** A token of the same person for another audience (the API, another MCP server). */
  otherAudience: string;
  /** A valid token for the same audience from another issuer (a second IDP). */
  otherIssuer: string;
  /** The desktop app's ID token and refresh token for the same person. */
  idToken?: string;
  refreshToken?: string;
  /** Where an attacker would host keys (`jku`, `x5u`). */
  attackerUrl: string;
}

/** Every forgery of `input.valid` (about 30 per token). */
export async function forgeries(input: ForgeInput): Promise<Forged[]> {
  const { header, payload, h, p, s } = parts(input.valid);
  const kid = String(header.kid);
  const out: Forged[] = [];
  const add = (kind: string, token: string) => out.push({ kind, token });

  // No signature at all.
  add('alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`);
  add('alg none, kid kept', `${b64({ ...header, alg: 'none' })}.${p}.`);
  add('alg None (case)', `${b64({ ...header, alg: 'None' })}.${p}.`);
  add('signature stripped', `${h}.${p}.`);
  add('no signature segment', `${h}.${p}`);

  // Key confusion: HMAC keyed with the public key the server trusts.
  for (const jwk of input.jwks.keys) {
    for (const [label, secret] of [
      ['JWK JSON', JSON.stringify(jwk)],
      ['x', String(jwk.x ?? jwk.n ?? '')],
    ] as const) {
      const hh = b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid });
      const sig = createHmac('sha256', secret).update(`${hh}.${p}`).digest('base64url');
      add(`HS256 keyed with the public ${jwk.kty} key (${label})`, `${hh}.${p}.${sig}`);
    }
  }

  // An attacker's own keys, presented as the IDP's.
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sign = (
    key: typeof ec.privateKey,
    alg: string,
    extra: Record<string, unknown> = {},
    claims = payload,
  ) => new SignJWT(claims).setProtectedHeader({ ...header, alg, ...extra } as never).sign(key);
  add('attacker ES256 key under the real kid', await sign(ec.privateKey, 'ES256'));
  add('attacker RS256 key under the real kid', await sign(rsa.privateKey, 'RS256'));
  add('attacker PS256 key under the real kid', await sign(rsa.privateKey, 'PS256'));
  add('attacker key, no kid', await sign(ec.privateKey, 'ES256', { kid: undefined }));
  add('attacker key, unknown kid', await sign(ec.privateKey, 'ES256', { kid: 'attacker' }));
  add(
    'attacker key in a jwk header',
    await sign(ec.privateKey, 'ES256', { jwk: await exportJWK(ec.publicKey) }),
  );
  add('attacker jku header', await sign(ec.privateKey, 'ES256', { jku: `${input.attackerUrl}/jwks` }));
  add('attacker x5u header', await sign(rsa.privateKey, 'RS256', { x5u: `${input.attackerUrl}/cert.pem` }));
  add(
    'attacker key, elevated roles',
    await sign(ec.privateKey, 'ES256', {}, { ...payload, roles: ['admin'] }),
  );

  // The real signature over changed claims, header or algorithm.
  // (Only where the claims really change: raising an admin to admin is the genuine token.)
  const tamper = (kind: string, changes: Record<string, unknown>) => {
    const changed = b64({ ...payload, ...changes });
    if (changed !== p) add(kind, `${h}.${changed}.${s}`);
  };
  tamper('roles raised to admin', { roles: ['admin'] });
  tamper('organizations widened', { organizations: ['dallas-police', 'atlanta-police', 'allen-fire'] });
  tamper('scope widened', { scope: `${String(payload.scope)} tickets:write orgs:write` });
  tamper('another person', { sub: 'someone-else', preferred_username: 'admin' });
  tamper('expiry extended', { exp: Number(payload.exp) + 86_400 });
  tamper('audience changed', { aud: 'http://127.0.0.1:1' });
  add('alg swapped to RS256', `${b64({ ...header, alg: 'RS256' })}.${p}.${s}`);
  add('alg swapped to HS256', `${b64({ ...header, alg: 'HS256' })}.${p}.${s}`);
  add('unknown crit extension', `${b64({ ...header, crit: ['exp-ext'], 'exp-ext': 1 })}.${p}.${s}`);
  add('kid switched', `${b64({ ...header, kid: `${kid}x` })}.${p}.${s}`);
  add('signature truncated', `${h}.${p}.${s.slice(0, -4)}`);
  add('signature of another token', `${h}.${p}.${parts(input.otherAudience).s}`);
  add('four segments', `${h}.${p}.${s}.${s}`);
  add('not base64', `${h}.${p}!.${s}`);

  // Real tokens, the wrong kind or the wrong place.
  add('token for another audience', input.otherAudience);
  add('token of another issuer', input.otherIssuer);
  if (input.idToken) add('ID token as bearer', input.idToken);
  if (input.refreshToken) add('refresh token as bearer', input.refreshToken);
  return out;
}
