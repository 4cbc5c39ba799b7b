import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { loadJose } from '@msi/kit';
import type { IdpConfig } from './config.js';
import { SIGNING_ALG, type KeyStore, type SigningAlg } from './keys.js';
import { now, type IssuedToken, type Store, type User } from './store.js';
import { OAuthError } from './oauth-error.js';

/** The person's claims every token about them carries (DESIGN.md "Identity and authorization"). */
export function userClaims(u: User) {
  return {
    preferred_username: u.username,
    name: u.name,
    email: u.email,
    roles: [u.role],
    organizations: u.organizations,
  };
}

export interface AccessTokenRequest {
  /** The person; undefined for a service (client credentials): then `sub` is the client. */
  user?: User;
  clientId: string;
  audience: string;
  scope: string;
  grantId: string | null;
  ttl: number;
  /** RFC 8693 §4.1: who acts for the subject. */
  act?: { sub: string };
}

/** Signs the IDP's tokens and checks its own access tokens. */
export class TokenIssuer {
  constructor(
    private readonly cfg: IdpConfig,
    private readonly keys: KeyStore,
    private readonly store: Store,
  ) {}

  private async sign(
    claims: JWTPayload,
    typ: string,
    ttl: number,
    alg: SigningAlg = SIGNING_ALG,
  ): Promise<string> {
    const { SignJWT } = await loadJose();
    const { kid, key } = this.keys.signing(alg);
    const t = now();
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ })
      .setIssuer(this.cfg.issuer)
      .setIssuedAt(t)
      .setExpirationTime(t + ttl)
      .sign(key);
  }

  /**
   * An RFC 9068 JWT access token bound to one audience, signed but not yet recorded: the caller records
   * `issued` (Store.issueTokens) with whatever else its response writes, in one transaction.
   */
  async signAccessToken(
    r: AccessTokenRequest,
  ): Promise<{ token: string; expiresIn: number; issued: IssuedToken }> {
    const jti = randomUUID();
    const claims: JWTPayload = {
      sub: r.user?.id ?? r.clientId,
      aud: r.audience,
      jti,
      client_id: r.clientId,
      scope: r.scope,
      // The sign-in (grant) the token belongs to: a resource server refuses it once that is revoked
      // (GET /revocations), exchanged tokens included (they carry their subject token's grant).
      ...(r.grantId ? { sid: r.grantId } : {}),
      ...(r.user ? userClaims(r.user) : {}),
      ...(r.act ? { act: r.act } : {}),
    };
    const token = await this.sign(claims, 'at+jwt', r.ttl);
    return {
      token,
      expiresIn: r.ttl,
      issued: { jti, grantId: r.grantId, clientId: r.clientId, expiresAt: now() + r.ttl },
    };
  }

  /** An access token as signAccessToken makes it, recorded so revocation counts at this IDP. */
  async accessToken(r: AccessTokenRequest): Promise<{ token: string; expiresIn: number }> {
    const { token, expiresIn, issued } = await this.signAccessToken(r);
    await this.store.issueTokens({ accessTokens: [issued] });
    return { token, expiresIn };
  }

  async idToken(r: {
    user: User;
    clientId: string;
    nonce?: string | null;
    authTime: number;
    sid?: string;
    scope: string[];
    /** The client's ID token algorithm (RS256 unless it registered another). */
    alg?: SigningAlg;
  }) {
    const u = userClaims(r.user);
    const claims: JWTPayload = {
      sub: r.user.id,
      aud: r.clientId,
      azp: r.clientId,
      auth_time: r.authTime,
      ...(r.nonce ? { nonce: r.nonce } : {}),
      ...(r.sid ? { sid: r.sid } : {}),
      ...(r.scope.includes('profile') ? { preferred_username: u.preferred_username, name: u.name } : {}),
      ...(r.scope.includes('email') ? { email: u.email, email_verified: true } : {}),
      roles: u.roles,
      organizations: u.organizations,
    };
    return this.sign(claims, 'JWT', this.cfg.IDP_ACCESS_TOKEN_TTL, r.alg ?? 'RS256');
  }

  /**
   * An access token of this IDP that is still good: our signature, our issuer, not expired, and not
   * revoked here (itself or its grant). Anything else is `invalid_token`-like: the caller names the error.
   */
  async checkAccessToken(token: string, error: string, status = 400): Promise<JWTPayload & { jti: string }> {
    const { jwtVerify } = await loadJose();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const key = this.keys.publicKey(header.kid);
          if (!key) throw new Error('unknown key');
          return key;
        },
        { issuer: this.cfg.issuer, algorithms: [SIGNING_ALG], typ: 'at+jwt' },
      ));
    } catch (err) {
      throw new OAuthError(
        error,
        `the token is not a valid access token of this issuer (${(err as Error).message})`,
        status,
      );
    }
    if (typeof payload.jti !== 'string' || !(await this.store.activeAccessToken(payload.jti))) {
      throw new OAuthError(error, 'the token has been revoked or has expired', status);
    }
    return payload as JWTPayload & { jti: string };
  }
}
