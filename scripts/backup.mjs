#!/usr/bin/env node
/**
 * Backup and restore of a production back end (docs/postgresql.md, "Backup and restore"):
 *
 *   node scripts/backup.mjs backup --out DIR [--db SERVICE=URL]… [--data-dir DIR] [--chroma DIR] [--progress json]
 *   node scripts/backup.mjs restore ARCHIVE [--server URL | --db SERVICE=URL…] [--data-dir DIR] [--chroma DIR] [--force]
 *   node scripts/backup.mjs verify ARCHIVE
 *   node scripts/backup.mjs prune DIR [--keep-daily 7] [--keep-weekly 4] [--keep-monthly 6]
 *
 * `backup` writes one dated archive `msi-backup-<UTC time>.tar.gz` (and its `.sha256`): every service's
 * PostgreSQL database (`pg_dump -Fc`), the SQLite file of a service that has no DATABASE_URL (an online
 * backup, consistent while it runs), Chroma's data and the IDP's signing keys, with `manifest.json`
 * (versions, schema versions, sizes, SHA-256 checksums). Databases come from `--db SERVICE=URL` or the
 * environment (IDP_DATABASE_URL, TICKETING_DATABASE_URL, ORGANIZATIONS_DATABASE_URL, API_DATABASE_URL);
 * files from `--data-dir` (MSI_DATA_DIR) and `--chroma` (CHROMA_PATH, default DATA_DIR/chroma). Uploaded
 * documents live in the API's database (and their vectors in Chroma), so both are in it.
 *
 * `restore` checks the whole archive first (every checksum, every dump readable by pg_restore), then
 * restores into an empty server: with `--server` (an admin URL) it creates each database under its
 * original name (or `--prefix`), owned by its original role when that role exists there; with
 * `--db SERVICE=URL` into those (empty) databases. It refuses a database with tables in it, or files
 * where it would write, unless `--force` (then each database is replaced in one transaction). Each
 * database is restored in one transaction; if any step fails, what this run created is removed again, so
 * nothing is half-restored. `--progress json` (backup) also prints one JSON line per step on stdout,
 * `{"done":1,"total":4,"step":"dumping the api database"}`, for the API's backup job (docs/jobs.md); the
 * human lines stay on stderr. Exit codes as docs/exit-codes.md: 64 usage, 65 a corrupt archive, 69 a
 * server that does not answer or a missing tool, 73 a non-empty target, 78 a malformed URL.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICES = ['idp', 'ticketing', 'organizations', 'api'];
const FORMAT = 'msi-backup/1';
const EXIT = { usage: 64, dataErr: 65, unavailable: 69, wouldOverwrite: 73, ioErr: 74, config: 78 };

export class BackupError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const mask = (url) => url.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?[^:@/]*:)[^@/]*@/i, '$1***@');
const log = (quiet, msg) => quiet || process.stderr.write(`backup: ${msg}\n`);
/** `--progress json`: one machine-readable line per step (the API's backup job turns them into progress). */
const progress = (opts, done, total, step) =>
  opts.progress === 'json' && process.stdout.write(`${JSON.stringify({ done, total, step })}\n`);

// ---------------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const opts = { command, positional: [], db: {}, force: false, quiet: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new BackupError(EXIT.usage, `${a} needs a value`);
      return v;
    };
    if (a === '--force') opts.force = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--db') {
      const v = value();
      const eq = v.indexOf('=');
      const service = v.slice(0, eq);
      if (eq < 0 || !SERVICES.includes(service))
        throw new BackupError(
          EXIT.usage,
          `--db takes SERVICE=URL with SERVICE one of ${SERVICES.join(', ')} (got ${mask(v)})`,
        );
      opts.db[service] = checkUrl(v.slice(eq + 1), `--db ${service}`);
    } else if (a === '--progress') {
      if (value() !== 'json') throw new BackupError(EXIT.usage, '--progress takes json');
      opts.progress = 'json';
    } else if (['--out', '--data-dir', '--chroma', '--server', '--prefix'].includes(a)) {
      opts[a.slice(2).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = value();
    } else if (['--keep-daily', '--keep-weekly', '--keep-monthly'].includes(a)) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new BackupError(EXIT.usage, `${a} takes a whole number`);
      opts[a.slice(2).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = n;
    } else if (a.startsWith('--')) throw new BackupError(EXIT.usage, `unknown option ${a}`);
    else opts.positional.push(a);
  }
  if (opts.server) opts.server = checkUrl(opts.server, '--server');
  return opts;
}

function checkUrl(url, what) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new BackupError(EXIT.config, `${what} must be a postgres:// URL (got ${mask(url)})`);
  }
  if (!/^postgres(ql)?:$/.test(u.protocol) || (!u.hostname && !u.searchParams.has('host')))
    throw new BackupError(EXIT.config, `${what} must be a postgres:// URL with a host (got ${mask(url)})`);
  return url;
}

/** The databases to back up: --db, else SERVICE_DATABASE_URL from the environment. */
function databaseSources(opts, env) {
  const out = { ...opts.db };
  for (const s of SERVICES) {
    const v = env[`${s.toUpperCase()}_DATABASE_URL`];
    if (out[s] === undefined && v) out[s] = checkUrl(v, `${s.toUpperCase()}_DATABASE_URL`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Tools and servers

function needTool(name) {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new BackupError(
      EXIT.unavailable,
      `${name} is not installed or not on PATH (Debian: apt-get install postgresql-client; it must be the server's major version or newer)`,
    );
  return r.stdout.trim();
}

function run(cmd, args, what, env = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new BackupError(EXIT.unavailable, `${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const err = (r.stderr || r.stdout || '').trim().split('\n').slice(-5).join(' | ');
    throw new BackupError(
      /could not connect|Connection refused|timeout expired/i.test(err) ? EXIT.unavailable : 1,
      `${what} failed: ${err}`,
    );
  }
  return r.stdout;
}

async function withClient(url, what, fn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const code =
      err.code === '3D000' || err.code === '28P01' || err.code === '28000' ? EXIT.config : EXIT.unavailable;
    throw new BackupError(code, `${what} at ${mask(url)} cannot be reached: ${err.message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Tables in the database's own schemas (not the catalog). */
async function tableCount(client) {
  const r = await client.query(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r','p','v','m','S') AND n.nspname NOT IN ('pg_catalog','information_schema')
       AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  return r.rows[0].n;
}

async function describeDatabase(client) {
  const info = (
    await client.query(
      `SELECT current_database() AS database, pg_get_userbyid(d.datdba) AS owner,
              current_setting('server_version') AS server_version
       FROM pg_database d WHERE d.datname = current_database()`,
    )
  ).rows[0];
  let schema = {};
  const has = await client.query(`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS ok`);
  if (has.rows[0].ok) {
    const rows = (await client.query('SELECT module, version FROM schema_migrations ORDER BY module')).rows;
    schema = Object.fromEntries(rows.map((r) => [r.module, r.version]));
  }
  return { ...info, schema };
}

// ---------------------------------------------------------------------------------------------------
// Files

function sha256(file) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/** A consistent copy of a live SQLite file (the online backup API), readable while the service writes. */
async function sqliteSnapshot(src, dest) {
  const { default: Database } = await import('better-sqlite3');
  mkdirSync(dirname(dest), { recursive: true });
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    // The whole file in one step (the default, 100 pages a step with a pause between, took seconds).
    await db.backup(dest, { progress: () => 1_000_000 });
  } finally {
    db.close();
  }
}

function sqliteSchema(file) {
  return import('better-sqlite3').then(({ default: Database }) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const ok = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get();
      if (!ok) return {};
      return Object.fromEntries(
        db
          .prepare('SELECT module, version FROM schema_migrations')
          .all()
          .map((r) => [r.module, r.version]),
      );
    } catch {
      return {};
    } finally {
      db.close();
    }
  });
}

/** Copies a directory; SQLite files in it (Chroma's chroma.sqlite3) through the online backup API. */
async function copyTree(src, dest) {
  for (const f of filesUnder(src)) {
    const to = join(dest, relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    if (/\.sqlite3?$/.test(f)) await sqliteSnapshot(f, to);
    else if (!/-(wal|shm|journal)$/.test(f)) cpSync(f, to);
  }
}

const stamp = (d = new Date()) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
const appVersion = () => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

// ---------------------------------------------------------------------------------------------------
// backup

export async function backup(opts, env = process.env) {
  const started = Date.now();
  if (!opts.out) throw new BackupError(EXIT.usage, 'backup needs --out DIR (where the archive goes)');
  const dataDir = opts.dataDir ?? env.MSI_DATA_DIR;
  const chroma = opts.chroma ?? env.CHROMA_PATH ?? (dataDir ? join(dataDir, 'chroma') : undefined);
  const urls = databaseSources(opts, env);
  const tools = { tar: needTool('tar') };
  if (Object.keys(urls).length) tools.pg_dump = needTool('pg_dump');

  // Every server answers before anything is written.
  const described = {};
  for (const [service, url] of Object.entries(urls))
    described[service] = await withClient(url, `the ${service} database`, describeDatabase);

  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const stage = mkdtempSync(join(out, '.msi-backup-'));
  // The steps, counted before the first: each database, Chroma's data, the IDP's keys, the archive.
  const keysFile = dataDir && join(dataDir, 'idp', 'keys.json');
  const total =
    SERVICES.filter((s) => urls[s] || (dataDir && existsSync(join(dataDir, s, `${s}.sqlite`)))).length +
    (chroma && existsSync(chroma) ? 1 : 0) +
    (keysFile && existsSync(keysFile) ? 1 : 0) +
    1;
  let done = 0;
  const step = (what) => {
    log(opts.quiet, what);
    progress(opts, done++, total, what);
  };
  try {
    const entries = [];
    const add = async (e, file) =>
      entries.push({
        ...e,
        path: relative(stage, file),
        bytes: statSync(file).size,
        sha256: await sha256(file),
      });
    for (const service of SERVICES) {
      if (urls[service]) {
        const file = join(stage, 'databases', `${service}.pgdump`);
        mkdirSync(dirname(file), { recursive: true });
        step(`dumping the ${service} database (${mask(urls[service])})`);
        run(
          'pg_dump',
          ['-Fc', '--no-password', '-f', file, urls[service]],
          `pg_dump of the ${service} database`,
        );
        const d = described[service];
        await add(
          {
            kind: 'postgres',
            service,
            database: d.database,
            owner: d.owner,
            serverVersion: d.server_version,
            schema: d.schema,
            source: mask(urls[service]),
          },
          file,
        );
      } else if (dataDir && existsSync(join(dataDir, service, `${service}.sqlite`))) {
        const src = join(dataDir, service, `${service}.sqlite`);
        const file = join(stage, 'databases', `${service}.sqlite`);
        step(`copying the ${service} database (${src})`);
        await sqliteSnapshot(src, file);
        await add({ kind: 'sqlite', service, schema: await sqliteSchema(file), source: src }, file);
      } else {
        log(
          opts.quiet,
          `no database for ${service} (no --db ${service}=URL or ${service.toUpperCase()}_DATABASE_URL${dataDir ? `, no SQLite file in ${dataDir}` : ', no --data-dir'}): skipped`,
        );
      }
    }
    if (chroma && existsSync(chroma)) {
      step(`copying Chroma's data (${chroma})`);
      await copyTree(chroma, join(stage, 'files', 'chroma'));
      for (const f of filesUnder(join(stage, 'files', 'chroma')))
        await add({ kind: 'file', part: 'chroma' }, f);
    }
    const keys = keysFile;
    if (keys && existsSync(keys)) {
      step("copying the IDP's signing keys");
      const to = join(stage, 'files', 'idp', 'keys.json');
      mkdirSync(dirname(to), { recursive: true });
      cpSync(keys, to);
      await add({ kind: 'file', part: 'idp-keys' }, to);
    }
    if (!entries.some((e) => e.kind !== 'file'))
      throw new BackupError(
        EXIT.usage,
        'nothing to back up: give --db SERVICE=URL (or SERVICE_DATABASE_URL) or --data-dir',
      );

    const created = new Date();
    const manifest = {
      format: FORMAT,
      createdAt: created.toISOString(),
      app: { name: 'msi-assistant-desktop', version: appVersion() },
      host: hostname(),
      tools,
      services: SERVICES.filter((s) => entries.some((e) => e.service === s)),
      entries,
    };
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const name = `msi-backup-${stamp(created)}.tar.gz`;
    step(`writing ${name}`);
    const partial = join(out, `.${name}.partial`);
    run(
      'tar',
      [
        '-C',
        stage,
        '-czf',
        partial,
        'manifest.json',
        ...['databases', 'files'].filter((d) => existsSync(join(stage, d))),
      ],
      'tar',
    );
    const archive = join(out, name);
    renameSync(partial, archive);
    const sum = await sha256(archive);
    writeFileSync(`${archive}.sha256`, `${sum}  ${name}\n`);
    const bytes = statSync(archive).size;
    log(
      opts.quiet,
      `wrote ${archive} (${(bytes / 1e6).toFixed(1)} MB, ${entries.length} entries, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    progress(opts, total, total, `wrote ${archive}`);
    return { archive, manifest, bytes, ms: Date.now() - started };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    for (const f of readdirSync(out)) if (f.endsWith('.partial')) rmSync(join(out, f), { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// verify (also the first step of restore)

/** Unpacks the archive into a temp dir and checks every entry; returns the dir and the manifest. */
async function unpack(archive, quiet) {
  if (!archive) throw new BackupError(EXIT.usage, 'name the archive (msi-backup-….tar.gz)');
  const file = resolve(archive);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new BackupError(EXIT.usage, `${file} does not exist`);
  needTool('tar');
  const dir = mkdtempSync(join(dirname(file), '.msi-restore-'));
  try {
    const r = spawnSync('tar', ['-C', dir, '-xzf', file], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new BackupError(
        EXIT.dataErr,
        `${file} is not a readable backup archive (${(r.stderr || '').trim().split('\n').pop()})`,
      );
    const mf = join(dir, 'manifest.json');
    if (!existsSync(mf))
      throw new BackupError(EXIT.dataErr, `${file} has no manifest.json: not an msi backup archive`);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(mf, 'utf8'));
    } catch (err) {
      throw new BackupError(EXIT.dataErr, `${file}: manifest.json is not JSON (${err.message})`);
    }
    if (manifest.format !== FORMAT || !Array.isArray(manifest.entries))
      throw new BackupError(EXIT.dataErr, `${file}: manifest format ${manifest.format} is not ${FORMAT}`);
    for (const e of manifest.entries) {
      const p = join(dir, e.path);
      if (!p.startsWith(dir + '/') || !existsSync(p))
        throw new BackupError(EXIT.dataErr, `${file} is corrupt: ${e.path} is missing`);
      if (statSync(p).size !== e.bytes || (await sha256(p)) !== e.sha256)
        throw new BackupError(EXIT.dataErr, `${file} is corrupt: ${e.path} does not match its checksum`);
      if (e.kind === 'postgres') run('pg_restore', ['--list', p], `${e.path} (pg_restore --list)`);
    }
    log(
      quiet,
      `${basename(file)}: ${manifest.entries.length} entries, every checksum matches (made ${manifest.createdAt})`,
    );
    return { dir, manifest };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function verify(opts) {
  if (opts.positional.length !== 1) throw new BackupError(EXIT.usage, 'verify takes one archive');
  const { dir, manifest } = await unpack(opts.positional[0], opts.quiet);
  rmSync(dir, { recursive: true, force: true });
  return manifest;
}

// ---------------------------------------------------------------------------------------------------
// restore

const quoteIdent = (s) => `"${s.replace(/"/g, '""')}"`;

export async function restore(opts) {
  const started = Date.now();
  if (opts.positional.length !== 1) throw new BackupError(EXIT.usage, 'restore takes one archive');
  needTool('pg_restore');
  const { dir, manifest } = await unpack(opts.positional[0], opts.quiet);
  const undo = [];
  try {
    const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
    const chroma = opts.chroma ? resolve(opts.chroma) : dataDir ? join(dataDir, 'chroma') : undefined;

    // 1. Every target, checked before anything is written.
    const plan = [];
    for (const e of manifest.entries.filter((x) => x.kind === 'postgres')) {
      let url = opts.db[e.service];
      let create = false;
      const name = `${opts.prefix ?? ''}${e.database}`;
      if (!url && opts.server) {
        const admin = opts.server;
        const found = await withClient(admin, 'the PostgreSQL server', async (c) => {
          const db = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
          const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [e.owner]);
          return { exists: db.rowCount > 0, ownerExists: role.rowCount > 0 };
        });
        const u = new URL(admin);
        u.pathname = `/${name}`;
        url = u.toString();
        create = !found.exists;
        e.ownerExists = found.ownerExists;
      }
      if (!url)
        throw new BackupError(
          EXIT.usage,
          `no target for the ${e.service} database: give --server URL or --db ${e.service}=URL`,
        );
      if (!create) {
        const n = await withClient(url, `the ${e.service} database`, tableCount);
        if (n > 0 && !opts.force)
          throw new BackupError(
            EXIT.wouldOverwrite,
            `the ${e.service} database at ${mask(url)} is not empty (${n} tables); restore into an empty one, or give --force to replace it`,
          );
        e.nonEmpty = n > 0;
      }
      plan.push({ e, url, create, name });
    }
    const files = [];
    for (const e of manifest.entries.filter((x) => x.kind === 'sqlite')) {
      if (!dataDir)
        throw new BackupError(
          EXIT.usage,
          `the ${e.service} database is a SQLite file in this archive: give --data-dir DIR to restore it into`,
        );
      files.push({
        from: join(dir, e.path),
        to: join(dataDir, e.service, `${e.service}.sqlite`),
        what: `the ${e.service} database`,
      });
    }
    if (manifest.entries.some((e) => e.part === 'chroma')) {
      if (!chroma)
        throw new BackupError(
          EXIT.usage,
          "the archive has Chroma's data: give --data-dir DIR or --chroma DIR",
        );
      files.push({ from: join(dir, 'files', 'chroma'), to: chroma, what: "Chroma's data", tree: true });
    }
    if (manifest.entries.some((e) => e.part === 'idp-keys') && dataDir)
      files.push({
        from: join(dir, 'files', 'idp', 'keys.json'),
        to: join(dataDir, 'idp', 'keys.json'),
        what: "the IDP's signing keys",
      });
    for (const f of files) {
      const used = existsSync(f.to) && (!statSync(f.to).isDirectory() || readdirSync(f.to).length > 0);
      if (used && !opts.force)
        throw new BackupError(
          EXIT.wouldOverwrite,
          `${f.to} exists (${f.what}); restore into an empty data dir, or give --force to replace it`,
        );
    }

    // 2. Databases, each in one transaction; what this run creates is undone if a later step fails.
    for (const { e, url, create, name } of plan) {
      if (create) {
        await withClient(opts.server, 'the PostgreSQL server', (c) =>
          c.query(
            `CREATE DATABASE ${quoteIdent(name)}${e.ownerExists ? ` OWNER ${quoteIdent(e.owner)}` : ''}`,
          ),
        );
        undo.push(() =>
          withClient(opts.server, 'the PostgreSQL server', (c) =>
            c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
          ),
        );
      } else if (!e.nonEmpty) {
        undo.push(() =>
          withClient(url, `the ${e.service} database`, (c) =>
            c.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public'),
          ),
        );
      }
      log(opts.quiet, `restoring the ${e.service} database into ${mask(url)}`);
      const args = [
        '--single-transaction',
        '--exit-on-error',
        '--no-owner',
        '--no-privileges',
        '--no-password',
        '-d',
        url,
      ];
      if (e.ownerExists) args.push(`--role=${e.owner}`);
      if (e.nonEmpty) args.push('--clean', '--if-exists');
      run('pg_restore', [...args, join(dir, e.path)], `restoring the ${e.service} database`);
    }

    // 3. Files: staged next to their place, then renamed in.
    try {
      await placeFiles(files, undo);
    } catch (err) {
      throw new BackupError(EXIT.ioErr, `cannot write the restored files: ${err.message}`);
    }
    undo.length = 0;
    const ms = Date.now() - started;
    log(
      opts.quiet,
      `restored ${plan.length} database(s) and ${files.length} file set(s) from ${basename(opts.positional[0])} in ${(ms / 1000).toFixed(1)} s`,
    );
    return { manifest, ms, databases: Object.fromEntries(plan.map((p) => [p.e.service, p.url])) };
  } catch (err) {
    for (const u of undo.reverse())
      await Promise.resolve()
        .then(u)
        .catch(() => undefined);
    if (undo.length) err.message += ' (nothing was restored: what this run had created is removed again)';
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function placeFiles(files, undo) {
  for (const f of files) {
    const staged = `${f.to}.restoring-${process.pid}`;
    rmSync(staged, { recursive: true, force: true });
    mkdirSync(dirname(f.to), { recursive: true });
    cpSync(f.from, staged, { recursive: true });
    undo.push(() => rmSync(staged, { recursive: true, force: true }));
    f.staged = staged;
  }
  for (const f of files) {
    if (existsSync(f.to)) rmSync(f.to, { recursive: true, force: true });
    renameSync(f.staged, f.to);
    for (const side of ['-wal', '-shm']) if (existsSync(`${f.to}${side}`)) unlinkSync(`${f.to}${side}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// prune: retention

/** Keeps the newest archive of each of the last N days, weeks and months; removes the rest. */
export function prune(opts) {
  if (opts.positional.length !== 1) throw new BackupError(EXIT.usage, 'prune takes the backup directory');
  const dir = resolve(opts.positional[0]);
  const keep = { daily: opts.keepDaily ?? 7, weekly: opts.keepWeekly ?? 4, monthly: opts.keepMonthly ?? 6 };
  const archives = readdirSync(dir)
    .map((f) => ({ f, m: f.match(/^msi-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.tar\.gz$/) }))
    .filter((x) => x.m)
    .map(({ f, m }) => ({ f, t: new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) }))
    .sort((a, b) => b.t - a.t);
  const kept = new Set();
  const bucket = (name, key, n) => {
    const seen = new Set();
    for (const a of archives) {
      const k = key(a.t);
      if (seen.has(k)) continue;
      if (seen.size >= n) break;
      seen.add(k);
      kept.add(a.f);
    }
  };
  bucket('daily', (t) => t.toISOString().slice(0, 10), keep.daily);
  bucket(
    'weekly',
    (t) => {
      const d = new Date(t);
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      return d.toISOString().slice(0, 10);
    },
    keep.weekly,
  );
  bucket('monthly', (t) => t.toISOString().slice(0, 7), keep.monthly);
  const removed = [];
  for (const a of archives) {
    if (kept.has(a.f)) continue;
    rmSync(join(dir, a.f), { force: true });
    rmSync(join(dir, `${a.f}.sha256`), { force: true });
    removed.push(a.f);
  }
  log(opts.quiet, `kept ${kept.size} archive(s), removed ${removed.length}`);
  return { kept: [...kept], removed };
}

// ---------------------------------------------------------------------------------------------------

const USAGE = `usage:
  node scripts/backup.mjs backup --out DIR [--db SERVICE=URL]... [--data-dir DIR] [--chroma DIR] [--progress json]
  node scripts/backup.mjs restore ARCHIVE [--server URL | --db SERVICE=URL...] [--prefix P] [--data-dir DIR] [--chroma DIR] [--force]
  node scripts/backup.mjs verify ARCHIVE
  node scripts/backup.mjs prune DIR [--keep-daily 7] [--keep-weekly 4] [--keep-monthly 6]
SERVICE: ${SERVICES.join(', ')}; or SERVICE_DATABASE_URL in the environment (see docs/postgresql.md)`;

export async function main(argv = process.argv.slice(2)) {
  try {
    const opts = parseArgs(argv);
    if (opts.command === 'backup') await backup(opts);
    else if (opts.command === 'restore') await restore(opts);
    else if (opts.command === 'verify') await verify(opts);
    else if (opts.command === 'prune') prune(opts);
    else
      throw new BackupError(EXIT.usage, `${opts.command ? `unknown command ${opts.command}\n` : ''}${USAGE}`);
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`backup: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`backup: failed: ${err.stack ?? err}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await main();
