import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase, wasCreated, type Db } from '@msi/kit';
import { DEMO_PASSWORD, DEMO_USERS } from '@msi/kit/demo';
import type { Role } from '@msi/kit';
import { hashPassword } from './passwords.js';

const MIGRATIONS = [
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     name TEXT NOT NULL,
     email TEXT NOT NULL,
     role TEXT NOT NULL,
     organizations TEXT NOT NULL DEFAULT '[]',
     password_hash TEXT NOT NULL
   );
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id),
     auth_time INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   -- A grant is what one sign-in (or one code) gave one client: its refresh tokens and access tokens
   -- form a family that is revoked as a whole (code replay, refresh-token reuse, sign-out).
   CREATE TABLE grants (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id),
     client_id TEXT NOT NULL,
     session_hash TEXT,
     scope TEXT NOT NULL,
     resource TEXT NOT NULL,
     auth_time INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX grants_session ON grants(session_hash);
   CREATE TABLE auth_codes (
     code_hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES grants(id),
     redirect_uri TEXT NOT NULL,
     code_challenge TEXT NOT NULL,
     nonce TEXT,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE TABLE refresh_tokens (
     token_hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES grants(id),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE INDEX refresh_grant ON refresh_tokens(grant_id);
   CREATE TABLE issued_tokens (
     jti TEXT PRIMARY KEY,
     grant_id TEXT REFERENCES grants(id),
     client_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX issued_grant ON issued_tokens(grant_id);`,
];

export interface User {
  id: string;
  username: string;
  name: string;
  email: string;
  role: Role;
  organizations: string[];
  passwordHash: string;
}

export interface Grant {
  id: string;
  userId: string;
  clientId: string;
  sessionHash: string | null;
  scope: string;
  resource: string;
  authTime: number;
  revokedAt: number | null;
}

export interface AuthCode {
  grant: Grant;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | null;
  expiresAt: number;
  usedAt: number | null;
}

export const now = () => Math.floor(Date.now() / 1000);
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

type Row = Record<string, unknown>;
const toUser = (r: Row): User => ({
  id: r.id as string,
  username: r.username as string,
  name: r.name as string,
  email: r.email as string,
  role: r.role as Role,
  organizations: JSON.parse(r.organizations as string) as string[],
  passwordHash: r.password_hash as string,
});
const toGrant = (r: Row): Grant => ({
  id: r.id as string,
  userId: r.user_id as string,
  clientId: r.client_id as string,
  sessionHash: (r.session_hash as string | null) ?? null,
  scope: r.scope as string,
  resource: r.resource as string,
  authTime: r.auth_time as number,
  revokedAt: (r.revoked_at as number | null) ?? null,
});

/** Users, sessions, grants, codes, refresh tokens and issued access tokens in `idp/idp.sqlite`. */
export class Store {
  readonly db: Db;

  private constructor(db: Db) {
    this.db = db;
  }

  /** Opens the file; a fresh one gets the demo users (password `demo`, hashed with scrypt). */
  static async open(dataDir: string): Promise<Store> {
    const db = openDatabase(join(dataDir, 'idp', 'idp.sqlite'), MIGRATIONS);
    const store = new Store(db);
    if (wasCreated(db) || store.userCount() === 0) await store.seedDemoUsers();
    store.prune();
    return store;
  }

  private userCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  private async seedDemoUsers(): Promise<void> {
    // One scrypt hash for all of them: they share the published demo password, so a salt per user would
    // hide nothing, and seven hashes were a third of a second of CPU on a first start. Signing in still
    // runs the full scrypt check.
    const hash = await hashPassword(DEMO_PASSWORD);
    const rows = DEMO_USERS.map((u) => ({ ...u, hash }));
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO users (id, username, name, email, role, organizations, password_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const u of rows) {
        // A stable subject per username, so the same data dir or a fresh one name a person alike.
        const id = `u_${sha256(`msi-demo:${u.username}`).slice(0, 22)}`;
        insert.run(id, u.username, u.name, u.email, u.role, JSON.stringify(u.organizations), u.hash);
      }
    })();
  }

  userByName(username: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return r && toUser(r);
  }

  userById(id: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r && toUser(r);
  }

  /** Users in a stable order (for the demo sign-in list). */
  users(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY rowid').all() as Row[]).map(toUser);
  }

  // --- browser sessions (the IDP's own cookie) ---

  createSession(userId: string, ttlSeconds: number): { id: string; authTime: number } {
    const id = randomToken();
    const authTime = now();
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_id, auth_time, expires_at) VALUES (?, ?, ?, ?)')
      .run(sha256(id), userId, authTime, authTime + ttlSeconds);
    return { id, authTime };
  }

  session(id: string | undefined): { hash: string; user: User; authTime: number } | undefined {
    if (!id) return undefined;
    const hash = sha256(id);
    const r = this.db
      .prepare('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?')
      .get(hash, now()) as Row | undefined;
    const user = r && this.userById(r.user_id as string);
    return user ? { hash, user, authTime: r!.auth_time as number } : undefined;
  }

  /** Ends a session and revokes every grant made in it. */
  endSession(hash: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hash);
      for (const g of this.db
        .prepare('SELECT id FROM grants WHERE session_hash = ? AND revoked_at IS NULL')
        .all(hash) as Row[]) {
        this.revokeGrant(g.id as string);
      }
    })();
  }

  static sessionHash(id: string): string {
    return sha256(id);
  }

  // --- grants ---

  createGrant(g: Omit<Grant, 'id' | 'revokedAt'>): Grant {
    const grant: Grant = { ...g, id: randomUUID(), revokedAt: null };
    this.db
      .prepare(
        `INSERT INTO grants (id, user_id, client_id, session_hash, scope, resource, auth_time, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(grant.id, g.userId, g.clientId, g.sessionHash, g.scope, g.resource, g.authTime, now());
    return grant;
  }

  grant(id: string): Grant | undefined {
    const r = this.db.prepare('SELECT * FROM grants WHERE id = ?').get(id) as Row | undefined;
    return r && toGrant(r);
  }

  /** Revokes a grant: its refresh tokens stop working, and its access tokens are no longer accepted here. */
  revokeGrant(id: string): void {
    this.db.prepare('UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id);
  }

  // --- authorization codes (stored hashed, one-time) ---

  createCode(
    grant: Grant,
    c: { redirectUri: string; codeChallenge: string; nonce: string | null; ttl: number },
  ): string {
    const code = randomToken();
    this.db
      .prepare(
        `INSERT INTO auth_codes (code_hash, grant_id, redirect_uri, code_challenge, nonce, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(sha256(code), grant.id, c.redirectUri, c.codeChallenge, c.nonce, now() + c.ttl);
    return code;
  }

  /** Looks a code up and marks it used in one step; `usedAt` tells whether it had been used before. */
  takeCode(code: string): AuthCode | undefined {
    return this.db.transaction(() => {
      const hash = sha256(code);
      const r = this.db.prepare('SELECT * FROM auth_codes WHERE code_hash = ?').get(hash) as Row | undefined;
      if (!r) return undefined;
      const grant = this.grant(r.grant_id as string);
      if (!grant) return undefined;
      if (r.used_at === null)
        this.db.prepare('UPDATE auth_codes SET used_at = ? WHERE code_hash = ?').run(now(), hash);
      return {
        grant,
        redirectUri: r.redirect_uri as string,
        codeChallenge: r.code_challenge as string,
        nonce: (r.nonce as string | null) ?? null,
        expiresAt: r.expires_at as number,
        usedAt: (r.used_at as number | null) ?? null,
      };
    })();
  }

  // --- refresh tokens (stored hashed, rotating) ---

  createRefreshToken(grantId: string, ttl: number): string {
    const token = randomToken();
    const t = now();
    this.db
      .prepare(
        'INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run(sha256(token), grantId, t, t + ttl);
    return token;
  }

  /** Looks a refresh token up without using it: `usedAt` tells whether it had been used before. */
  refreshToken(token: string): { grant: Grant; expiresAt: number; usedAt: number | null } | undefined {
    const r = this.db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?').get(sha256(token)) as
      Row | undefined;
    const grant = r && this.grant(r.grant_id as string);
    if (!r || !grant) return undefined;
    return { grant, expiresAt: r.expires_at as number, usedAt: (r.used_at as number | null) ?? null };
  }

  /**
   * Marks a refresh token used, once: false when it already was (a concurrent request used it first), so
   * that checking a request and then using its token cannot let two requests through.
   */
  useRefreshToken(token: string): boolean {
    return (
      this.db
        .prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL')
        .run(now(), sha256(token)).changes === 1
    );
  }

  /** The grant a refresh token belongs to, without using it (for revocation). */
  refreshTokenGrant(token: string): Grant | undefined {
    const r = this.db
      .prepare('SELECT grant_id FROM refresh_tokens WHERE token_hash = ?')
      .get(sha256(token)) as Row | undefined;
    return r && this.grant(r.grant_id as string);
  }

  // --- access tokens we issued (so that revocation counts here: userinfo, token exchange) ---

  recordAccessToken(jti: string, grantId: string | null, clientId: string, expiresAt: number): void {
    this.db
      .prepare('INSERT INTO issued_tokens (jti, grant_id, client_id, expires_at) VALUES (?, ?, ?, ?)')
      .run(jti, grantId, clientId, expiresAt);
  }

  /** The access token's record when it is still good: issued here, not revoked, its grant not revoked. */
  activeAccessToken(jti: string): { grantId: string | null; clientId: string } | undefined {
    const r = this.db
      .prepare(
        `SELECT t.grant_id, t.client_id FROM issued_tokens t LEFT JOIN grants g ON g.id = t.grant_id
         WHERE t.jti = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND g.revoked_at IS NULL`,
      )
      .get(jti, now()) as Row | undefined;
    return r && { grantId: (r.grant_id as string | null) ?? null, clientId: r.client_id as string };
  }

  revokeAccessToken(jti: string, clientId: string): void {
    this.db
      .prepare(
        'UPDATE issued_tokens SET revoked_at = ? WHERE jti = ? AND client_id = ? AND revoked_at IS NULL',
      )
      .run(now(), jti, clientId);
  }

  /** Drops what has expired (codes, refresh tokens, token records, sessions). */
  prune(): void {
    const t = now();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM auth_codes WHERE expires_at < ?').run(t - 3600);
      this.db.prepare('DELETE FROM refresh_tokens WHERE expires_at < ?').run(t);
      this.db.prepare('DELETE FROM issued_tokens WHERE expires_at < ?').run(t);
      this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(t);
    })();
  }

  close(): void {
    this.db.close();
  }
}
