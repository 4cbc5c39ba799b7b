import { sql, type Generated } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DatabaseUnavailableError,
  databaseSpec,
  freePort,
  maskSecret,
  openStore,
  parseConfig,
  type Migration,
  type Store,
} from '../src/index.js';
import {
  backends,
  freshDatabase,
  pgQuery,
  tcpProxy,
  withDatabase,
  testServerUrl,
  type FreshDatabase,
} from '../../../test/support/database.js';
import { tempDataDir } from '../../../test/support/data-dir.js';

interface Tables {
  notes: { id: Generated<number>; body: string; at: Generated<string> };
}

const MIGRATIONS: Migration[] = [
  {
    sqlite:
      'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); CREATE TABLE ran (step INTEGER);',
    postgres:
      'CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL); CREATE TABLE ran (step INTEGER);',
  },
  {
    sqlite: `ALTER TABLE notes ADD COLUMN at TEXT NOT NULL DEFAULT '2026-01-01T00:00:00.000Z'; INSERT INTO ran VALUES (2);`,
    // pg_sleep widens the window in which a second instance without the lock would apply it too.
    postgres: async (client) => {
      await client.query('SELECT pg_sleep(0.3)');
      await client.query(
        `ALTER TABLE notes ADD COLUMN at TIMESTAMPTZ NOT NULL DEFAULT '2026-01-01T00:00:00Z'; INSERT INTO ran VALUES (2);`,
      );
    },
  },
];

describe.each(backends())('openStore on %s', (backend) => {
  let pgdb: FreshDatabase | undefined;
  const temp = tempDataDir('msi-kit-db-');
  const file = `${temp.dir}/svc/svc.sqlite`;
  const open = (extra: Partial<Parameters<typeof openStore>[0]> = {}) =>
    openStore<Tables>({ service: 'svc', url: pgdb?.url, file, migrations: MIGRATIONS, ...extra });

  beforeAll(async () => {
    if (backend === 'postgres') pgdb = await freshDatabase('kit');
  });
  afterAll(async () => {
    await pgdb?.drop();
    temp.cleanup();
  });

  it('creates the schema once, through one query layer, with the same row shapes', async () => {
    const store = await open();
    expect(store.dialect).toBe(backend);
    expect(store.label).toBe('the svc database');
    expect(store.wasCreated).toBe(true);
    await store.db.insertInto('notes').values({ body: 'first' }).execute();
    const rows = await store.db.selectFrom('notes').selectAll().execute();
    expect(rows).toEqual([{ id: 1, body: 'first', at: '2026-01-01T00:00:00.000Z' }]);
    const { count } = await store.db
      .selectFrom('notes')
      .select((e) => e.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(1); // a number on both (PostgreSQL's bigint count is parsed)
    await store.close();

    const again = await open();
    expect(again.wasCreated).toBe(false);
    await again.close();
  });

  it('rolls a failed transaction back whole', async () => {
    const store = await open();
    await expect(
      store.transaction(async (trx) => {
        await trx.insertInto('notes').values({ body: 'half' }).execute();
        throw new Error('second step failed');
      }),
    ).rejects.toThrow('second step failed');
    const bodies = (await store.db.selectFrom('notes').select('body').execute()).map((r) => r.body);
    expect(bodies).not.toContain('half');
    await store.ping();
    expect(store.available).toBe(true);
    await store.close();
  });

  it('applies a module of its own beside main, tracked apart', async () => {
    const store = await openStore<Tables>({
      service: 'svc',
      module: 'extra',
      url: pgdb?.url,
      file,
      migrations: [
        {
          sqlite: 'CREATE TABLE extra (x INTEGER)',
          postgres: 'CREATE TABLE extra (x INTEGER)',
        },
      ],
    });
    expect(store.wasCreated).toBe(true);
    const versions = await sql<{
      module: string;
      version: number;
    }>`SELECT module, version FROM schema_migrations ORDER BY module`.execute(store.db);
    expect(versions.rows).toEqual([
      { module: 'extra', version: 1 },
      { module: 'main', version: 2 },
    ]);
    await store.close();
  });
});

describe.runIf(testServerUrl())('openStore on PostgreSQL: start-up and outages', () => {
  const stores: Store<Tables>[] = [];
  const dbs: FreshDatabase[] = [];
  const temp = tempDataDir('msi-kit-pg-');
  const fresh = async () => {
    const d = await freshDatabase('kit_pg');
    dbs.push(d);
    return d;
  };
  const open = async (url: string, extra: Partial<Parameters<typeof openStore>[0]> = {}) => {
    const s = await openStore<Tables>({
      service: 'svc',
      url,
      file: `${temp.dir}/unused.sqlite`,
      migrations: MIGRATIONS,
      ...extra,
    });
    stores.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const d of dbs) await d.drop();
    temp.cleanup();
  });

  it('applies each migration once when two instances start at the same moment (advisory lock)', async () => {
    const d = await fresh();
    const [a, b] = await Promise.all([open(d.url), open(d.url)]);
    expect([a.wasCreated, b.wasCreated].sort()).toEqual([false, true]);
    expect(await pgQuery(d.url, 'SELECT step FROM ran')).toEqual([{ step: 2 }]);
  });

  it('stops with a config error naming DATABASE_URL for a database that does not exist, password masked', async () => {
    const url = withDatabase(testServerUrl()!, 'msi_no_such_db').replace('//root@', '//root:hunter2@');
    const err = await open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('DATABASE_URL');
    expect((err as Error).message).toMatch(/does not exist/);
    expect((err as Error).message).toContain('root:***@');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('gives up on a server that does not answer after the connect timeout, as unavailable', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await open(`postgres://root@127.0.0.1:${port}/x`, { connectTimeoutMs: 700 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/^the svc database is unavailable \(.*ECONNREFUSED/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('answers unavailable while the database is away and recovers by itself when it is back', async () => {
    const d = await fresh();
    const proxy = await tcpProxy();
    try {
      const store = await open(proxy.via(d.url));
      await store.db.insertInto('notes').values({ body: 'before' }).execute();
      await proxy.cut();
      const err = await store.db
        .selectFrom('notes')
        .selectAll()
        .execute()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect(store.available).toBe(false);
      await expect(store.ping()).rejects.toBeInstanceOf(DatabaseUnavailableError);
      // A write cut off in its transaction leaves nothing behind.
      await expect(
        store.transaction((trx) => trx.insertInto('notes').values({ body: 'during' }).execute()),
      ).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await proxy.restore();
      await store.ping();
      expect(store.available).toBe(true);
      const bodies = (await store.db.selectFrom('notes').select('body').execute()).map((r) => r.body);
      expect(bodies).toEqual(['before']);
    } finally {
      await proxy.close();
    }
  });
});

describe('DATABASE_URL in the config', () => {
  it('accepts postgres URLs and none; refuses others naming the variable, the password masked', () => {
    expect(parseConfig(databaseSpec(), {}).DATABASE_URL).toBeUndefined();
    expect(parseConfig(databaseSpec(), { DATABASE_URL: 'postgres://u@db:5432/msi_api' }).DATABASE_URL).toBe(
      'postgres://u@db:5432/msi_api',
    );
    expect(() => parseConfig(databaseSpec(), { DATABASE_URL: 'mysql://u:s3cret@db/x' })).toThrow(
      'config: DATABASE_URL must be a postgres://user@host:port/database URL when set (got "mysql://u:***@db/x")',
    );
    expect(maskSecret('postgresql://a:b@c/d')).toBe('postgresql://a:***@c/d');
    expect(maskSecret('postgres://a@c/d')).toBe('postgres://a@c/d');
  });
});
