/**
 * Backup and restore of a data dir. Backup runs while the services run: every SQLite file (ours and
 * Chroma's) is copied with SQLite's online backup (better-sqlite3 `.backup()`), a consistent snapshot
 * even mid-write; the rest (Chroma's segment files, signing keys, settings, secrets) is copied as
 * files. Logs and stack.json are left out. A manifest marks a complete backup: it is written last.
 * Restore refuses anything without that manifest, and swaps directories so nothing is half-restored:
 * the old data dir is kept beside it as `<dir>.before-restore-<time>`.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  cpSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { EXIT } from '@msi/kit/exit-codes';
import type { AppLayout } from './layout.js';
import { writeFileAtomic } from './files.js';

export const MANIFEST = 'msi-backup.json';
const SKIP = new Set(['logs', 'stack.json', MANIFEST]);

export class BackupProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupProblem';
  }
}

export interface BackupManifest {
  format: 1;
  createdAt: string;
  source: string;
  sqlite: string[];
  files: number;
}

function isSqlite(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (dir === root && SKIP.has(entry.name)) continue;
    if (entry.isDirectory()) out.push(...walk(full, root));
    else if (entry.isFile() && !/-(wal|shm|journal)$/.test(entry.name) && !entry.name.endsWith('.tmp'))
      out.push(full);
  }
  return out;
}

/** Copies `dataDir` into the new directory `dest` (which must not exist). */
export async function backupDataDir(dataDir: string, dest: string): Promise<BackupManifest> {
  const src = resolve(dataDir);
  const out = resolve(dest);
  if (!existsSync(src) || !statSync(src).isDirectory())
    throw new BackupProblem(`data dir ${src} does not exist`);
  if (existsSync(out)) throw new BackupProblem(`${out} already exists; choose a new folder for the backup`);
  if (out.startsWith(src + '/')) throw new BackupProblem('the backup cannot go inside the data dir itself');
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  const sqlite: string[] = [];
  let files = 0;
  try {
    for (const file of walk(src)) {
      const rel = relative(src, file);
      const target = join(partial, rel);
      mkdirSync(dirname(target), { recursive: true });
      if (isSqlite(file)) {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          await db.backup(target);
        } finally {
          db.close();
        }
        sqlite.push(rel);
      } else {
        copyFileSync(file, target);
      }
      chmodSync(target, statSync(file).mode & 0o777);
      files++;
    }
    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date().toISOString(),
      source: src,
      sqlite,
      files,
    };
    writeFileAtomic(join(partial, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    renameSync(partial, out);
    return manifest;
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}

/** Reads and checks a backup's manifest; throws BackupProblem saying what is wrong. */
export function readBackup(backup: string): BackupManifest {
  const file = join(resolve(backup), MANIFEST);
  if (!existsSync(file))
    throw new BackupProblem(`${resolve(backup)} is not a complete backup (no ${MANIFEST})`);
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupProblem(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (m.format !== 1 || !Array.isArray(m.sqlite))
    throw new BackupProblem(`${file} is not a backup manifest this version understands`);
  for (const rel of m.sqlite) {
    if (!existsSync(join(resolve(backup), rel))) throw new BackupProblem(`the backup is missing ${rel}`);
  }
  return m;
}

/**
 * Replaces `dataDir` with the backup. The services must be stopped (the caller does it). Returns where
 * the previous data dir was moved. Logs are carried over.
 */
export function restoreDataDir(backup: string, dataDir: string): string {
  readBackup(backup);
  const target = resolve(dataDir);
  const staging = `${target}.restoring`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(resolve(backup), staging, { recursive: true });
  rmSync(join(staging, MANIFEST));
  const aside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (existsSync(target)) {
    if (existsSync(join(target, 'logs')))
      cpSync(join(target, 'logs'), join(staging, 'logs'), { recursive: true });
    renameSync(target, aside);
  }
  renameSync(staging, target);
  return existsSync(aside) ? aside : basename(aside);
}

/**
 * The backup run as a child process on the services' Node (layout.node): Electron's main process
 * never loads better-sqlite3, whose build matches the services' Node (docs/packaging.md).
 */
export function backupInChild(layout: AppLayout, dataDir: string, dest: string): Promise<BackupManifest> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      layout.node.execPath,
      [join(layout.root, 'main/dist/node/backup.js'), dataDir, dest],
      {
        env: { PATH: process.env.PATH ?? '', ...layout.node.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolvePromise(JSON.parse(out) as BackupManifest);
      else reject(new BackupProblem(err.trim() || `backup exited with code ${code}`));
    });
  });
}

// `node backup.js DATA_DIR DEST`: prints the manifest as JSON, or one line saying what went wrong.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [src, dest] = process.argv.slice(2);
  if (!src || !dest) {
    process.stderr.write('usage: node main/dist/node/backup.js DATA_DIR DEST\n');
    process.exit(EXIT.usage);
  }
  backupDataDir(src, dest).then(
    (m) => process.stdout.write(JSON.stringify(m) + '\n'),
    (e: Error) => {
      process.stderr.write(`${e instanceof BackupProblem ? e.message : (e.stack ?? e.message)}\n`);
      process.exit(EXIT.crash);
    },
  );
}
