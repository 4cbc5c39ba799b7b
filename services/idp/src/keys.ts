import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DataDirError } from '@msi/kit';

/** Access tokens and the desktop app's ID tokens. */
export const SIGNING_ALG = 'ES256';
/** OpenID Connect's required ID token algorithm: for every client that did not ask for another. */
export const RSA_ALG = 'RS256';
export type SigningAlg = typeof SIGNING_ALG | typeof RSA_ALG;
/** Each generation of keys has one of each. */
const ALGS: SigningAlg[] = [SIGNING_ALG, RSA_ALG];

const storedKey = z.object({
  kid: z.string().min(1),
  alg: z.enum([SIGNING_ALG, RSA_ALG]),
  createdAt: z.number(),
  /** When a newer key took over (epoch seconds); its public half stays published until its tokens expire. */
  retiredAt: z.number().optional(),
  privateJwk: z.union([
    z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() }),
    z.object({
      kty: z.literal('RSA'),
      n: z.string(),
      e: z.string(),
      d: z.string(),
      p: z.string(),
      q: z.string(),
      dp: z.string(),
      dq: z.string(),
      qi: z.string(),
    }),
  ]),
});
const keyFile = z.object({ keys: z.array(storedKey).min(1) });
type StoredKey = z.infer<typeof storedKey>;

export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid: string;
  alg: string;
  use: 'sig';
}

interface LoadedKey {
  stored: StoredKey;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/** Retired keys older than this are dropped from the file by the next rotation. */
const FORGET_AFTER_SECONDS = 24 * 3600;

const now = () => Math.floor(Date.now() / 1000);

function newKey(alg: SigningAlg = SIGNING_ALG): StoredKey {
  // RFC 7638 thumbprint as the kid: the required members in lexicographic order.
  const thumbprint = (members: Record<string, string>) =>
    createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  if (alg === RSA_ALG) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const j = privateKey.export({ format: 'jwk' }) as Required<
      Pick<JsonWebKey, 'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi'>
    >;
    const privateJwk = {
      kty: 'RSA' as const,
      n: j.n,
      e: j.e,
      d: j.d,
      p: j.p,
      q: j.q,
      dp: j.dp,
      dq: j.dq,
      qi: j.qi,
    };
    return { kid: thumbprint({ e: j.e, kty: 'RSA', n: j.n }), alg, createdAt: now(), privateJwk };
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Required<Pick<JsonWebKey, 'x' | 'y' | 'd'>>;
  const privateJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x, y: jwk.y, d: jwk.d };
  return {
    kid: thumbprint({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y }),
    alg,
    createdAt: now(),
    privateJwk,
  };
}

function publicJwk(stored: StoredKey): PublicJwk {
  const base = { kid: stored.kid, alg: stored.alg, use: 'sig' as const };
  const k = stored.privateJwk;
  return k.kty === 'EC'
    ? { kty: k.kty, crv: k.crv, x: k.x, y: k.y, ...base }
    : { kty: k.kty, n: k.n, e: k.e, ...base };
}

/**
 * The IDP's signing keys, in `<dir>/keys.json` (mode 0600). Created on first use; the newest key signs;
 * retired keys stay in the JWKS for `retainSeconds` after retirement (the longest token lifetime) so the
 * tokens they signed keep verifying. A running IDP picks up a rotation made by another process.
 */
export class KeyStore {
  readonly file: string;
  private loaded: LoadedKey[] = [];
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    dir: string,
    private readonly retainSeconds: number,
  ) {
    this.file = join(dir, 'keys.json');
  }

  /** Reads the file (creating it when missing); throws DataDirError when it is unreadable or corrupt. */
  load(): void {
    if (!existsSync(this.file)) this.write(ALGS.map((a) => newKey(a)));
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw new DataDirError(
        `${this.file} cannot be read (${(err as Error).message}); move it aside to create new signing keys`,
      );
    }
    const parsed = keyFile.safeParse(raw);
    if (!parsed.success) {
      throw new DataDirError(
        `${this.file} is not a valid signing key file; move it aside to create new signing keys`,
      );
    }
    try {
      this.loaded = parsed.data.keys.map((stored) => {
        const privateKey = createPrivateKey({ key: stored.privateJwk, format: 'jwk' });
        return { stored, privateKey, publicKey: createPublicKey(privateKey), jwk: publicJwk(stored) };
      });
    } catch (err) {
      throw new DataDirError(`${this.file} holds a key that cannot be used (${(err as Error).message})`);
    }
    this.mtimeMs = statSync(this.file).mtimeMs;
    this.checkedAt = Date.now();
  }

  /** Reloads when the file changed (checked at most once a second). */
  private fresh(): LoadedKey[] {
    if (Date.now() - this.checkedAt > 1000) {
      this.checkedAt = Date.now();
      try {
        if (statSync(this.file).mtimeMs !== this.mtimeMs) this.load();
      } catch {
        // keep serving the keys we have; the next start reports the problem
      }
    }
    return this.loaded;
  }

  /** The key that signs new tokens with `alg`: the newest one not retired. */
  signing(alg: SigningAlg = SIGNING_ALG): { kid: string; key: KeyObject; alg: SigningAlg } {
    const keys = this.fresh().filter((x) => x.stored.alg === alg);
    const k = keys.filter((x) => x.stored.retiredAt === undefined).at(-1) ?? keys.at(-1);
    if (!k) throw new Error(`no ${alg} signing key in ${this.file}`);
    return { kid: k.stored.kid, key: k.privateKey, alg };
  }

  /**
   * A key file from before RS256 ID tokens has only ES256 keys: give it an RS256 key of its own (the
   * ES256 keys stay as they are). Called once at start.
   */
  ensureAlgorithms(): void {
    const missing = ALGS.filter(
      (a) => !this.loaded.some((k) => k.stored.alg === a && k.stored.retiredAt === undefined),
    );
    if (missing.length === 0) return;
    this.write([...this.loaded.map((k) => k.stored), ...missing.map((a) => newKey(a))]);
    this.load();
  }

  /** Public keys by kid, for verifying our own tokens (only those still published). */
  publicKey(kid: string | undefined): KeyObject | undefined {
    return this.published().find((k) => k.stored.kid === kid)?.publicKey;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.published().map((k) => k.jwk) };
  }

  private published(): LoadedKey[] {
    const t = now();
    return this.fresh().filter(
      (k) => k.stored.retiredAt === undefined || k.stored.retiredAt + this.retainSeconds > t,
    );
  }

  /** Makes a new signing key; the old ones are retired (kept published until their tokens expire). */
  rotate(): { kid: string; retired: string[] } {
    if (existsSync(this.file)) this.load();
    const t = now();
    const kept = this.loaded
      .map((k) => k.stored)
      .filter((k) => k.retiredAt === undefined || k.retiredAt + FORGET_AFTER_SECONDS > t)
      .map((k) => ({ ...k, retiredAt: k.retiredAt ?? t }));
    const fresh = ALGS.map((a) => newKey(a));
    this.write([...kept, ...fresh]);
    this.load();
    return { kid: fresh.map((k) => k.kid).join(', '), retired: kept.map((k) => k.kid) };
  }

  private write(keys: StoredKey[]): void {
    const dir = join(this.file, '..');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
    } catch (err) {
      throw new DataDirError(`cannot write signing keys to ${this.file} (${(err as Error).message})`);
    }
  }
}
