/**
 * The store's reader (DATABASE_READ_URL, src/read-replica.ts) without a replica of its own: on SQLite and
 * with one URL it is the primary; a replica URL where nothing listens makes reads answer from the primary
 * (logged once); a "replica" that is a primary (not in recovery) releases a writer at once. The real
 * streaming replica, lag and read-your-own-writes under it: services/ticketing/test/read-replica.test.ts.
 */
import { Writable } from 'node:stream';
import { sql, type Generated } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createLogger,
  databaseSpec,
  openStore,
  parseConfig,
  type Migration,
} from '../src/index.js';
import { parseLsn } from '../src/read-replica.js';
import { freshDatabase, testServerUrl, type FreshDatabase } from '../../../test/support/database.js';
import { tempDataDir } from '../../../test/support/data-dir.js';

interface Tables {
  notes: { id: Generated<number>; body: string };
}
const MIGRATIONS: Migration[] = [
  {
    sqlite: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)',
    postgres: 'CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL)',
  },
];

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger('svc', 'info', stream), lines };
}

describe('WAL positions', () => {
  it('compare as the server orders them', () => {
    expect(parseLsn('0/16B3748') < parseLsn('0/16B3750')).toBe(true);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(() => parseLsn('nope')).toThrow('not a WAL position: nope');
  });
});

describe('DATABASE_READ_URL', () => {
  const temp = tempDataDir('msi-kit-reader-');
  afterAll(() => temp.cleanup());

  it('is a postgres URL, validated with the others', () => {
    expect(
      parseConfig(databaseSpec(), { DATABASE_READ_URL: 'postgres://r@replica:5432/x' }).DATABASE_READ_URL,
    ).toBe('postgres://r@replica:5432/x');
    expect(() => parseConfig(databaseSpec(), { DATABASE_READ_URL: 'mysql://x' })).toThrow(
      /DATABASE_READ_URL/,
    );
  });

  it('without DATABASE_URL is refused, naming it', async () => {
    const err = await openStore<Tables>({
      service: 'svc',
      file: `${temp.dir}/a.sqlite`,
      migrations: MIGRATIONS,
      readUrl: 'postgres://u:secret@replica:5432/x',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/DATABASE_READ_URL.*only together with DATABASE_URL/);
    expect(String((err as Error).message)).not.toContain('secret');
  });

  it('on SQLite the reader is the store itself (the desktop is unchanged)', async () => {
    const store = await openStore<Tables>({
      service: 'svc',
      file: `${temp.dir}/b.sqlite`,
      migrations: MIGRATIONS,
    });
    try {
      expect(store.reader('alex')).toBe(store.db);
      await store.transaction((trx) => trx.insertInto('notes').values({ body: 'x' }).execute(), 'alex');
      expect(store.reader('alex')).toBe(store.db);
      expect(await store.reader().selectFrom('notes').selectAll().execute()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe.runIf(testServerUrl())('the reader on PostgreSQL', () => {
  let pgdb: FreshDatabase;
  beforeAll(async () => {
    pgdb = await freshDatabase('kit_reader');
  });
  afterAll(async () => {
    await pgdb?.drop();
  });

  it('with one URL, the reader is the primary', async () => {
    const store = await openStore<Tables>({
      service: 'svc',
      url: pgdb.url,
      file: 'unused',
      migrations: MIGRATIONS,
    });
    try {
      expect(store.reader('alex')).toBe(store.db);
    } finally {
      await store.close();
    }
  });

  it('a replica that does not answer: reads answer from the primary, one warning per outage', async () => {
    const { log, lines } = capture();
    const store = await openStore<Tables>({
      service: 'svc',
      url: pgdb.url,
      readUrl: 'postgres://root:hidden@127.0.0.1:1/nowhere',
      file: 'unused',
      migrations: MIGRATIONS,
      log,
    });
    try {
      await store.db.insertInto('notes').values({ body: 'on the primary' }).execute();
      for (let i = 0; i < 3; i++) {
        const rows = await store.reader('sam').selectFrom('notes').select('body').execute();
        expect(rows.map((r) => r.body)).toContain('on the primary');
      }
      const warned = lines.filter((l) => l.includes('does not answer; reads go to the primary'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain(
        'the svc database: the read replica at postgres://root:***@127.0.0.1:1/nowhere',
      );
      expect(lines.join('')).not.toContain('hidden');
      expect(store.available).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a writer reads from the primary until the replica has their write (a non-replica has it at once)', async () => {
    // The "replica" is the same server: pg_last_wal_replay_lsn() is NULL there (not in recovery).
    const store = await openStore<Tables>({
      service: 'svc',
      url: pgdb.url,
      readUrl: pgdb.url,
      file: 'unused',
      migrations: MIGRATIONS,
    });
    try {
      const replicaDb = store.reader('sam');
      expect(replicaDb).not.toBe(store.db);
      await store.transaction((trx) => trx.insertInto('notes').values({ body: 'mine' }).execute(), 'alex');
      // At once after the commit, before anything could be polled: the primary.
      expect(store.reader('alex')).toBe(store.db);
      expect(store.reader('sam')).toBe(replicaDb);
      const deadline = Date.now() + 5000;
      while (store.reader('alex') === store.db && Date.now() < deadline)
        await sql`SELECT 1`.execute(store.db); // each round trip lets the poller run
      expect(store.reader('alex')).toBe(replicaDb);
      // store.wrote() does the same for a write outside transaction(fn, who).
      store.wrote('sam');
      expect(store.reader('sam')).toBe(store.db);
    } finally {
      await store.close();
    }
  });
});
