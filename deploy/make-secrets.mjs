#!/usr/bin/env node
/**
 * `node deploy/make-secrets.mjs [DIR]` (default ./secrets): the secret files compose.yaml mounts, each a
 * fresh random value (48 hex characters: longer than production mode's minimum of 32, and URL-safe).
 * A file that exists is kept, so running it again changes nothing; delete one to replace it. The
 * directory is the owner's alone (0700); the files are readable inside it (0644) because the services
 * run as the image's `node` user, whose id may not be the owner's.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? 'secrets');
const random = () => randomBytes(24).toString('hex');
/** The database URL of each service's own role and database (docs/postgresql.md). */
const database = (service) => `postgres://msi_${service}:${random()}@postgres:5432/msi_${service}`;

const SECRETS = {
  api_client_secret: random,
  metrics_token: random,
  postgres_password: random,
  idp_database_url: () => database('idp'),
  ticketing_database_url: () => database('ticketing'),
  organizations_database_url: () => database('organizations'),
  api_database_url: () => database('api'),
};

mkdirSync(dir, { recursive: true, mode: 0o700 });
chmodSync(dir, 0o700);
for (const [name, make] of Object.entries(SECRETS)) {
  const file = join(dir, name);
  if (existsSync(file)) {
    console.log(`kept ${file}`);
    continue;
  }
  writeFileSync(file, `${make()}\n`, { mode: 0o644 });
  console.log(`made ${file}`);
}
