import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { sql, type Generated, type Kysely } from 'kysely';
import { openStore, type Logger, type Migration, type Role, type Store as KitStore } from '@msi/kit';
import { DEMO_PASSWORD, DEMO_USERS } from '@msi/kit/demo';
import { hashPassword } from './passwords.js';

/**
 * The IDP's schema, one list for both dialects (entry i is version i + 1): SQLite's SQL is what data dirs
 * already have; PostgreSQL (its own database `msi_idp`) the same tables, usernames unique ignoring case
 * through an index on lower(username), and `ord` giving users their order of creation (SQLite's rowid).
 */
const MIGRATIONS: Migration[] = [
  {
    sqlite: `CREATE TABLE users (
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
    postgres: `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     ord INTEGER GENERATED ALWAYS AS IDENTITY,
     username TEXT NOT NULL,
     name TEXT NOT NULL,
     email TEXT NOT NULL,
     role TEXT NOT NULL,
     organizations TEXT NOT NULL DEFAULT '[]',
     password_hash TEXT NOT NULL
   );
   CREATE UNIQUE INDEX users_username ON users (lower(username));
   CREATE TABLE sessions (
     id_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id),
     auth_time BIGINT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE TABLE grants (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES users(id),
     client_id TEXT NOT NULL,
     session_hash TEXT,
     scope TEXT NOT NULL,
     resource TEXT NOT NULL,
     auth_time BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE INDEX grants_session ON grants(session_hash);
   CREATE TABLE auth_codes (
     code_hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES grants(id),
     redirect_uri TEXT NOT NULL,
     code_challenge TEXT NOT NULL,
     nonce TEXT,
     expires_at BIGINT NOT NULL,
     used_at BIGINT
   );
   CREATE TABLE refresh_tokens (
     token_hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES grants(id),
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     used_at BIGINT
   );
   CREATE INDEX refresh_grant ON refresh_tokens(grant_id);
   CREATE TABLE issued_tokens (
     jti TEXT PRIMARY KEY,
     grant_id TEXT REFERENCES grants(id),
     client_id TEXT NOT NULL,
     expires_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE INDEX issued_grant ON issued_tokens(grant_id);
   CREATE INDEX issued_expiry ON issued_tokens(expires_at);`,
  },
  {
    // What resource servers must stop accepting before it expires (GET /revocations): a sign-in ended
    // (`sid`, the grant every token of it names) or one access token revoked (`jti`). `seq` is the feed's
    // cursor; a row lives as long as a token it names could.
    sqlite: `CREATE TABLE revocations (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL CHECK (kind IN ('sid', 'jti')),
     value TEXT NOT NULL,
     revoked_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX revocations_expiry ON revocations(expires_at);`,
    postgres: `CREATE TABLE revocations (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('sid', 'jti')),
     value TEXT NOT NULL,
     revoked_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX revocations_expiry ON revocations(expires_at);`,
  },
];

interface IdpTables {
  users: {
    id: string;
    username: string;
    name: string;
    email: string;
    role: string;
    organizations: string;
    password_hash: string;
  };
  sessions: { id_hash: string; user_id: string; auth_time: number; expires_at: number };
  grants: {
    id: string;
    user_id: string;
    client_id: string;
    session_hash: string | null;
    scope: string;
    resource: string;
    auth_time: number;
    created_at: number;
    revoked_at: number | null;
  };
  auth_codes: {
    code_hash: string;
    grant_id: string;
    redirect_uri: string;
    code_challenge: string;
    nonce: string | null;
    expires_at: number;
    used_at: number | null;
  };
  refresh_tokens: {
    token_hash: string;
    grant_id: string;
    created_at: number;
    expires_at: number;
    used_at: number | null;
  };
  issued_tokens: {
    jti: string;
    grant_id: string | null;
    client_id: string;
    expires_at: number;
    revoked_at: number | null;
  };
  revocations: {
    seq: Generated<number>;
    kind: 'sid' | 'jti';
    value: string;
    revoked_at: number;
    expires_at: number;
  };
}

/** One entry of the revocation feed: tokens naming this `sid` (or this `jti`) are no longer good. */
export interface Revocation {
  seq: number;
  kind: 'sid' | 'jti';
  value: string;
  /** Until when a token it names could still be presented (seconds since the epoch). */
  expiresAt: number;
}

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

type UserRow = IdpTables['users'];
type GrantRow = IdpTables['grants'];
const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  name: r.name,
  email: r.email,
  role: r.role as Role,
  organizations: JSON.parse(r.organizations) as string[],
  passwordHash: r.password_hash,
});
const toGrant = (r: GrantRow): Grant => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  sessionHash: r.session_hash ?? null,
  scope: r.scope,
  resource: r.resource,
  authTime: Number(r.auth_time),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});
const USER_COLUMNS = ['id', 'username', 'name', 'email', 'role', 'organizations', 'password_hash'] as const;

/** An access token to record as issued here (so that revoking it, or its grant, counts at this IDP). */
export interface IssuedToken {
  jti: string;
  grantId: string | null;
  clientId: string;
  expiresAt: number;
}

export interface StoreOptions {
  dataDir: string;
  /** DATABASE_URL: PostgreSQL (database `msi_idp`); else `idp/idp.sqlite` in the data dir. */
  url?: string | undefined;
  log?: Logger;
  connectTimeoutMs?: number;
  poolMax?: number;
  /**
   * How long a revoked sign-in stays in the revocation feed (seconds): the longest life of a token issued
   * for it, plus slack (default 1 h 2 min).
   */
  revocationTtl?: number;
}

/**
 * Users, sessions, grants, codes, refresh tokens and issued access tokens: `idp/idp.sqlite` in the data dir
 * or the PostgreSQL database DATABASE_URL names, through the kit's query layer. Every write is one
 * transaction; a database that is away makes the calls throw DatabaseUnavailableError (503).
 */
export class Store {
  private constructor(
    readonly kit: KitStore<IdpTables>,
    private readonly revocationTtl: number,
  ) {}

  private get db(): Kysely<IdpTables> {
    return this.kit.db;
  }

  /** "the idp database": what readiness and errors name. */
  get label(): string {
    return this.kit.label;
  }

  /** Opens the database; a fresh (or empty) one gets the demo users (password `demo`, hashed with scrypt). */
  static async open(opts: StoreOptions | string): Promise<Store> {
    const o = typeof opts === 'string' ? { dataDir: opts } : opts;
    const kit = await openStore<IdpTables>({
      service: 'idp',
      url: o.url,
      file: join(o.dataDir, 'idp', 'idp.sqlite'),
      migrations: MIGRATIONS,
      ...(o.log ? { log: o.log } : {}),
      ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      ...(o.poolMax !== undefined ? { poolMax: o.poolMax } : {}),
    });
    const store = new Store(kit, o.revocationTtl ?? 3720);
    try {
      await store.seedDemoUsers();
      await store.prune();
    } catch (err) {
      await kit.close();
      throw err;
    }
    return store;
  }

  /** Resolves when the database answers (readiness). */
  ping(): Promise<void> {
    return this.kit.ping();
  }

  /** The demo users, when there is no user at all (a fresh database), in one transaction. */
  private async seedDemoUsers(): Promise<void> {
    const count = async (db: Kysely<IdpTables>) =>
      Number(
        (
          await db
            .selectFrom('users')
            .select((e) => e.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    if ((await count(this.db)) > 0) return;
    // One scrypt hash for all of them: they share the published demo password, so a salt per user would
    // hide nothing, and seven hashes were a third of a second of CPU on a first start. Signing in still
    // runs the full scrypt check.
    const hash = await hashPassword(DEMO_PASSWORD);
    await this.kit.transaction(async (trx) => {
      // Two instances starting at once on one PostgreSQL database: one seeds, the other finds the users.
      if (this.kit.dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(hashtext('msi:idp:seed'))`.execute(trx);
      if ((await count(trx)) > 0) return;
      for (const u of DEMO_USERS) {
        await trx
          .insertInto('users')
          .values({
            // A stable subject per username, so the same data dir or a fresh one name a person alike.
            id: `u_${sha256(`msi-demo:${u.username}`).slice(0, 22)}`,
            username: u.username,
            name: u.name,
            email: u.email,
            role: u.role,
            organizations: JSON.stringify(u.organizations),
            password_hash: hash,
          })
          .execute();
      }
    });
  }

  /** `username = ?` ignoring ASCII case, as the column's COLLATE NOCASE (SQLite) / lower() index (PostgreSQL). */
  private sameUsername(username: string) {
    return this.kit.dialect === 'sqlite'
      ? sql<boolean>`username = ${username} COLLATE NOCASE`
      : sql<boolean>`lower(username) = lower(${username})`;
  }

  async userByName(username: string): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('users')
      .select(USER_COLUMNS)
      .where(this.sameUsername(username))
      .executeTakeFirst();
    return r && toUser(r);
  }

  async userById(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  /** Users in a stable order, that of their creation (for the demo sign-in list). */
  async users(): Promise<User[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(USER_COLUMNS)
      .orderBy(sql.raw(this.kit.dialect === 'sqlite' ? 'rowid' : 'ord'))
      .execute();
    return rows.map(toUser);
  }

  // --- browser sessions (the IDP's own cookie) ---

  async createSession(userId: string, ttlSeconds: number): Promise<{ id: string; authTime: number }> {
    const id = randomToken();
    const authTime = now();
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: sha256(id),
        user_id: userId,
        auth_time: authTime,
        expires_at: authTime + ttlSeconds,
      })
      .execute();
    return { id, authTime };
  }

  async session(id: string | undefined): Promise<{ hash: string; user: User; authTime: number } | undefined> {
    if (!id) return undefined;
    const hash = sha256(id);
    const r = await this.db
      .selectFrom('sessions')
      .select(['user_id', 'auth_time'])
      .where('id_hash', '=', hash)
      .where('expires_at', '>', now())
      .executeTakeFirst();
    const user = r && (await this.userById(r.user_id));
    return user ? { hash, user, authTime: Number(r!.auth_time) } : undefined;
  }

  /** Ends a session and revokes every grant made in it, in one transaction. */
  async endSession(hash: string): Promise<void> {
    await this.kit.transaction(async (trx) => {
      await trx.deleteFrom('sessions').where('id_hash', '=', hash).execute();
      const revoked = await trx
        .updateTable('grants')
        .set({ revoked_at: now() })
        .where('session_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      await this.recordRevocations(
        trx,
        revoked.map((g) => ({ kind: 'sid', value: g.id })),
      );
    });
  }

  /**
   * Adds entries to the revocation feed in the caller's transaction. On PostgreSQL an advisory lock makes
   * `seq` order commit order: without it a poller could read seq 7 before a slower transaction commits
   * 6, and step over it for good. Revocations are rare (sign-outs), so serialising them costs nothing.
   */
  private async recordRevocations(
    trx: Kysely<IdpTables>,
    entries: { kind: 'sid' | 'jti'; value: string; expiresAt?: number }[],
  ): Promise<void> {
    if (!entries.length) return;
    if (this.kit.dialect === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(hashtext('msi:idp:revocations'))`.execute(trx);
    const t = now();
    await trx
      .insertInto('revocations')
      .values(
        entries.map((e) => ({
          kind: e.kind,
          value: e.value,
          revoked_at: t,
          expires_at: e.expiresAt ?? t + this.revocationTtl,
        })),
      )
      .execute();
  }

  /** The feed's newest cursor (0 when it is empty). */
  async lastRevocation(): Promise<number> {
    const r = await this.db
      .selectFrom('revocations')
      .select((e) => e.fn.max('seq').as('last'))
      .executeTakeFirst();
    return Number(r?.last ?? 0);
  }

  /** The feed after cursor `after`: what is still worth refusing, oldest first, at most `limit`. */
  async revocations(after: number, limit = 1000): Promise<Revocation[]> {
    const rows = await this.db
      .selectFrom('revocations')
      .select(['seq', 'kind', 'value', 'expires_at'])
      .where('seq', '>', after)
      .where('expires_at', '>', now())
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      kind: r.kind,
      value: r.value,
      expiresAt: Number(r.expires_at),
    }));
  }

  static sessionHash(id: string): string {
    return sha256(id);
  }

  // --- grants and authorization codes (codes stored hashed, one-time) ---

  /** A grant for one sign-in of one client and its authorization code, in one transaction. */
  async createGrantWithCode(
    g: Omit<Grant, 'id' | 'revokedAt'>,
    c: { redirectUri: string; codeChallenge: string; nonce: string | null; ttl: number },
  ): Promise<{ grant: Grant; code: string }> {
    const grant: Grant = { ...g, id: randomUUID(), revokedAt: null };
    const code = randomToken();
    const t = now();
    await this.kit.transaction(async (trx) => {
      await trx
        .insertInto('grants')
        .values({
          id: grant.id,
          user_id: g.userId,
          client_id: g.clientId,
          session_hash: g.sessionHash,
          scope: g.scope,
          resource: g.resource,
          auth_time: g.authTime,
          created_at: t,
        })
        .execute();
      await trx
        .insertInto('auth_codes')
        .values({
          code_hash: sha256(code),
          grant_id: grant.id,
          redirect_uri: c.redirectUri,
          code_challenge: c.codeChallenge,
          nonce: c.nonce,
          expires_at: t + c.ttl,
        })
        .execute();
    });
    return { grant, code };
  }

  async grant(id: string, db: Kysely<IdpTables> = this.db): Promise<Grant | undefined> {
    const r = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toGrant(r);
  }

  /** Revokes a grant: its refresh tokens stop working, and its access tokens are no longer accepted here. */
  async revokeGrant(id: string): Promise<void> {
    await this.kit.transaction(async (trx) => {
      const r = await trx
        .updateTable('grants')
        .set({ revoked_at: now() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) await this.recordRevocations(trx, [{ kind: 'sid', value: id }]);
    });
  }

  /**
   * Looks a code up and marks it used in one transaction (its row locked on PostgreSQL, so two requests
   * with one code cannot both find it unused); `usedAt` tells whether it had been used before.
   */
  async takeCode(code: string): Promise<AuthCode | undefined> {
    const hash = sha256(code);
    return this.kit.transaction(async (trx) => {
      const r = await trx
        .selectFrom('auth_codes')
        .selectAll()
        .where('code_hash', '=', hash)
        .$if(this.kit.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!r) return undefined;
      const grant = await this.grant(r.grant_id, trx);
      if (!grant) return undefined;
      if (r.used_at === null)
        await trx.updateTable('auth_codes').set({ used_at: now() }).where('code_hash', '=', hash).execute();
      return {
        grant,
        redirectUri: r.redirect_uri,
        codeChallenge: r.code_challenge,
        nonce: r.nonce ?? null,
        expiresAt: Number(r.expires_at),
        usedAt: r.used_at === null ? null : Number(r.used_at),
      };
    });
  }

  // --- refresh tokens (stored hashed, rotating) and issued access tokens ---

  /** Looks a refresh token up without using it: `usedAt` tells whether it had been used before. */
  async refreshToken(
    token: string,
  ): Promise<{ grant: Grant; expiresAt: number; usedAt: number | null } | undefined> {
    const r = await this.db
      .selectFrom('refresh_tokens')
      .select(['grant_id', 'expires_at', 'used_at'])
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    const grant = r && (await this.grant(r.grant_id));
    if (!r || !grant) return undefined;
    return {
      grant,
      expiresAt: Number(r.expires_at),
      usedAt: r.used_at === null ? null : Number(r.used_at),
    };
  }

  /**
   * Records what one token response gives, in one transaction: the access tokens issued, a new refresh
   * token, and (refresh_token grant) the old refresh token used up. False, with nothing written, when the
   * old one already was used (a concurrent request used it first): checking a request and then using its
   * token cannot let two requests through, and a failure leaves the old token as it was.
   */
  async issueTokens(t: {
    accessTokens: IssuedToken[];
    refreshToken?: { token: string; grantId: string; ttl: number };
    spendRefreshToken?: string;
  }): Promise<boolean> {
    const spent = Symbol('spent');
    try {
      await this.kit.transaction(async (trx) => {
        const at = now();
        if (t.spendRefreshToken !== undefined) {
          const r = await trx
            .updateTable('refresh_tokens')
            .set({ used_at: at })
            .where('token_hash', '=', sha256(t.spendRefreshToken))
            .where('used_at', 'is', null)
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) !== 1) throw spent;
        }
        if (t.refreshToken) {
          await trx
            .insertInto('refresh_tokens')
            .values({
              token_hash: sha256(t.refreshToken.token),
              grant_id: t.refreshToken.grantId,
              created_at: at,
              expires_at: at + t.refreshToken.ttl,
            })
            .execute();
        }
        if (t.accessTokens.length) {
          await trx
            .insertInto('issued_tokens')
            .values(
              t.accessTokens.map((a) => ({
                jti: a.jti,
                grant_id: a.grantId,
                client_id: a.clientId,
                expires_at: a.expiresAt,
              })),
            )
            .execute();
        }
      });
      return true;
    } catch (err) {
      if (err === spent) return false;
      throw err;
    }
  }

  /** The grant a refresh token belongs to, without using it (for revocation). */
  async refreshTokenGrant(token: string): Promise<Grant | undefined> {
    const r = await this.db
      .selectFrom('refresh_tokens')
      .select('grant_id')
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    return r && this.grant(r.grant_id);
  }

  /** The access token's record when it is still good: issued here, not revoked, its grant not revoked. */
  async activeAccessToken(jti: string): Promise<{ grantId: string | null; clientId: string } | undefined> {
    const r = await this.db
      .selectFrom('issued_tokens as t')
      .leftJoin('grants as g', 'g.id', 't.grant_id')
      .select(['t.grant_id', 't.client_id'])
      .where('t.jti', '=', jti)
      .where('t.revoked_at', 'is', null)
      .where('t.expires_at', '>', now())
      .where('g.revoked_at', 'is', null)
      .executeTakeFirst();
    return r && { grantId: r.grant_id ?? null, clientId: r.client_id };
  }

  async revokeAccessToken(jti: string, clientId: string): Promise<void> {
    await this.kit.transaction(async (trx) => {
      const r = await trx
        .updateTable('issued_tokens')
        .set({ revoked_at: now() })
        .where('jti', '=', jti)
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .returning('expires_at')
        .executeTakeFirst();
      if (r)
        await this.recordRevocations(trx, [{ kind: 'jti', value: jti, expiresAt: Number(r.expires_at) }]);
    });
  }

  /** Drops what has expired (codes, refresh tokens, token records, sessions), in one transaction. */
  async prune(): Promise<void> {
    const t = now();
    await this.kit.transaction(async (trx) => {
      await trx
        .deleteFrom('auth_codes')
        .where('expires_at', '<', t - 3600)
        .execute();
      await trx.deleteFrom('refresh_tokens').where('expires_at', '<', t).execute();
      await trx.deleteFrom('issued_tokens').where('expires_at', '<', t).execute();
      await trx.deleteFrom('sessions').where('expires_at', '<', t).execute();
      await trx.deleteFrom('revocations').where('expires_at', '<', t).execute();
    });
  }

  close(): Promise<void> {
    return this.kit.close();
  }
}
