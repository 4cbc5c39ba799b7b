import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { describe, expect, it } from 'vitest';
import {
  backupDataDir,
  backupInChild,
  BackupProblem,
  MANIFEST,
  readBackup,
  restoreDataDir,
} from '../../src/node/backup.js';
import { devLayout } from '../../src/node/layout.js';

const fresh = freshDirs('msi-backup-');

describe('backup and restore', () => {
  it('snapshots SQLite files online (WAL included) and copies the rest; restore swaps the dir', async () => {
    const root = fresh();
    const data = join(root, 'data');
    mkdirSync(join(data, 'chroma', 'segment'), { recursive: true });
    mkdirSync(join(data, 'logs'));
    writeFileSync(join(data, 'logs', 'api.log'), 'log line\n');
    writeFileSync(join(data, 'chroma', 'segment', 'data_level0.bin'), Buffer.from([1, 2, 3]));
    writeFileSync(join(data, 'settings.json'), '{"theme":"dark"}');
    // A live writer with WAL: committed rows sit in the -wal file, not yet in the main file.
    const db = new Database(join(data, 'ticketing.db'));
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id integer primary key, v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    for (let i = 0; i < 100; i++) insert.run(`row ${i}`);

    const backup = join(root, 'backup');
    const manifest = await backupDataDir(data, backup);
    insert.run('after the backup');
    db.close();
    expect(manifest.sqlite).toEqual(['ticketing.db']);
    expect(readBackup(backup).files).toBe(3);
    expect(existsSync(join(backup, 'logs'))).toBe(false);
    const copy = new Database(join(backup, 'ticketing.db'), { readonly: true });
    expect(copy.prepare('select count(*) as n from t').get()).toEqual({ n: 100 });
    copy.close();
    expect(readFileSync(join(backup, 'chroma', 'segment', 'data_level0.bin'))).toEqual(
      Buffer.from([1, 2, 3]),
    );
    await expect(backupDataDir(data, backup)).rejects.toThrow(/already exists/);

    const aside = restoreDataDir(backup, data);
    const restored = new Database(join(data, 'ticketing.db'), { readonly: true });
    expect(restored.prepare('select count(*) as n from t').get()).toEqual({ n: 100 });
    restored.close();
    expect(existsSync(join(data, MANIFEST))).toBe(false);
    expect(readFileSync(join(data, 'logs', 'api.log'), 'utf8')).toBe('log line\n');
    expect(existsSync(join(aside, 'ticketing.db'))).toBe(true);
  });

  it("runs as a child process on the services' Node (what the Electron menu uses)", async () => {
    const root = fresh();
    const data = join(root, 'data');
    mkdirSync(data);
    const db = new Database(join(data, 'api.db'));
    db.exec('create table t (v text); insert into t values (1), (2)');
    db.close();
    const m = await backupInChild(devLayout(), data, join(root, 'copy'));
    expect(m).toMatchObject({ format: 1, sqlite: ['api.db'], files: 1 });
    expect(readBackup(join(root, 'copy')).sqlite).toEqual(['api.db']);
    await expect(backupInChild(devLayout(), join(root, 'none'), join(root, 'copy2'))).rejects.toThrow(
      /does not exist/,
    );
  });

  it('refuses an incomplete backup and leaves the data dir as it was', () => {
    const root = fresh();
    const data = join(root, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'settings.json'), '{}');
    mkdirSync(join(root, 'half'));
    expect(() => restoreDataDir(join(root, 'half'), data)).toThrow(BackupProblem);
    expect(() => restoreDataDir(join(root, 'half'), data)).toThrow(/not a complete backup/);
    writeFileSync(join(root, 'half', MANIFEST), JSON.stringify({ format: 1, sqlite: ['api.db'] }));
    expect(() => restoreDataDir(join(root, 'half'), data)).toThrow(/missing api\.db/);
    expect(readFileSync(join(data, 'settings.json'), 'utf8')).toBe('{}');
  });
});
