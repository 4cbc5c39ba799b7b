/**
 * The data dir: checked before anything starts (a file in its place, or one we cannot write to, is
 * a clear error), and its per-install secret: the API's client secret at the IDP, generated once and
 * kept in DATA_DIR/secrets.json with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './files.js';

export class DataDirProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirProblem';
  }
}

/** Creates the data dir when missing; throws DataDirProblem when it cannot be used. Returns its absolute path. */
export function prepareDataDir(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) {
    throw new DataDirProblem(`data dir ${abs} exists but is not a directory`);
  }
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new DataDirProblem(`data dir ${abs} cannot be created or written: ${(err as Error).message}`);
  }
  return abs;
}

const SecretsFile = z.object({ apiClientSecret: z.string().min(32) }).passthrough();
export type Secrets = z.infer<typeof SecretsFile>;

export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

/** Reads DATA_DIR/secrets.json, creating it (mode 0600) on first use. A corrupt file is an error, never overwritten. */
export function loadOrCreateSecrets(dataDir: string): Secrets {
  const file = secretsFile(dataDir);
  if (!existsSync(file)) {
    const secrets = { apiClientSecret: randomBytes(32).toString('base64url') };
    writeFileAtomic(file, JSON.stringify(secrets, null, 2) + '\n', 0o600);
    return secrets;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataDirProblem(
      `${file} is not valid JSON (${(err as Error).message}); restore it from a backup or delete it (the services then get a new client secret)`,
    );
  }
  const result = SecretsFile.safeParse(parsed);
  if (!result.success) {
    throw new DataDirProblem(
      `${file} is missing apiClientSecret (at least 32 characters); restore it or delete the file`,
    );
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return result.data;
}
