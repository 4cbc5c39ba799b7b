import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DataDirError, openDatabase } from '../src/sqlite.js';
import { freshDirs } from '../../../test/support/fresh-dirs.js';

const dir = freshDirs('msi-kit-sqlite-');

describe('openDatabase', () => {
  it('a file with a SQLite header but corrupt pages is a DataDirError naming the file', () => {
    const file = join(dir(), 'x', 'x.sqlite');
    const db = openDatabase(file, ['CREATE TABLE t (a)']);
    for (let i = 0; i < 300; i++) db.prepare('INSERT INTO t VALUES (randomblob(1000))').run();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(file);
    bytes.fill(0x41, 100, bytes.length); // keep the 100-byte header, destroy every page
    writeFileSync(file, bytes);
    const open = () => openDatabase(file, ['CREATE TABLE t (a)', 'CREATE TABLE u (b)']);
    expect(open).toThrow(DataDirError);
    expect(open).toThrow(`${file} is not a usable SQLite database`);
  });

  it('a schema newer than the build is a DataDirError; a broken migration stays a plain error (a bug)', () => {
    const file = join(dir(), 'y.sqlite');
    openDatabase(file, ['CREATE TABLE a (x)', 'CREATE TABLE b (x)']).close();
    expect(() => openDatabase(file, ['CREATE TABLE a (x)'])).toThrow(
      /has schema version 2 for main, newer than this build knows \(1\)/,
    );
    let err: unknown;
    try {
      openDatabase(file, ['CREATE TABLE a (x)', 'CREATE TABLE b (x)', 'CREATE TABLE oops (']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DataDirError);
    // Nothing half-written: the failed migration left the file at version 2.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations').get()).toEqual({ version: 2 });
    db.close();
  });
});
