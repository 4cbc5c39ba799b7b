/**
 * `node scripts/backup.mjs` against the real back end: the services run (the IDP and the organizations
 * server on PostgreSQL, the others on what they support so far), data is made through them (tickets,
 * comments, their events, a permission change, a conversation, an uploaded document), the running back
 * end is backed up, the archive restored into new, empty databases and a new data dir, and the services
 * started on those: every row of every service's database is back, and the services answer with the same
 * tickets, conversation and documents (the uploaded one found by search: Chroma's data came back too).
 * Then the refusals: a non-empty target, a corrupt archive, a missing pg_dump, a server that does not
 * answer, and a failure half-way that leaves nothing restored.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../test/support/api-client.js';
import {
  POSTGRES_SERVICES,
  startBackend,
  type Backend,
  type DatabaseUrls,
} from '../../test/support/backend.js';
import { dbFile, openReadOnly, tempDataDir, type ServiceWithDb } from '../../test/support/data-dir.js';
import { freshDatabase, pgQuery, testServerUrl, type FreshDatabase } from '../../test/support/database.js';
import { resourceToken } from '../../test/support/idp.js';
import { callTool, connectMcp } from '../../test/support/mcp.js';
import { ROOT } from '../../test/support/services.js';

const SERVICES: ServiceWithDb[] = ['idp', 'ticketing', 'organizations', 'api'];
const CLI = join(ROOT, 'scripts', 'backup.mjs');

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 120_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

type Rows = Record<string, unknown>[];
const sorted = (rows: Rows) => rows.map((r) => JSON.stringify(r)).sort();

/** Every row of every table of each service's database: PostgreSQL where it has one, else its SQLite file. */
async function snapshot(
  dataDir: string,
  urls: DatabaseUrls,
): Promise<Record<string, Record<string, string[]>>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const s of SERVICES) {
    const tables: Record<string, string[]> = {};
    const url = urls[s];
    if (url) {
      const names = await pgQuery<{ table_name: string }>(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
      );
      for (const { table_name } of names)
        tables[table_name] = sorted(await pgQuery(url, `SELECT * FROM "${table_name}"`));
    } else {
      const db = openReadOnly(dbFile(dataDir, s));
      try {
        const names = db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
          )
          .all() as { name: string }[];
        for (const { name } of names)
          tables[name] = sorted(db.prepare(`SELECT * FROM "${name}"`).all() as Rows);
      } finally {
        db.close();
      }
    }
    out[s] = tables;
  }
  return out;
}

describe.runIf(testServerUrl())('backup and restore of the whole back end', () => {
  let stack: Backend;
  let restored: Backend | undefined;
  const out = tempDataDir('msi-backups-');
  const target = tempDataDir('msi-restored-');
  const databases: FreshDatabase[] = [];
  let archive = '';
  let before: Awaited<ReturnType<typeof snapshot>>;
  const made = { ticket: '', conversation: '', document: '' };
  const seen: Record<string, unknown> = {};

  const fresh = async (label: string) => {
    const d = await freshDatabase(label);
    databases.push(d);
    return d;
  };
  const dbArgs = (urls: DatabaseUrls) => Object.entries(urls).flatMap(([s, u]) => ['--db', `${s}=${u}`]);

  /** What the services answer about the data made: read from `b` with fresh tokens. */
  async function answers(b: Backend) {
    const agent = await b.login('alex_agent');
    const ticketing = await connectMcp(
      `${b.ticketing.url}/mcp`,
      await resourceToken(b.idp.issuer, 'alex_agent', b.ticketing.url),
    );
    const orgs = await connectMcp(
      `${b.organizations.url}/mcp`,
      await resourceToken(b.idp.issuer, 'admin', b.organizations.url),
    );
    try {
      const ticket = (await callTool(ticketing, 'get_ticket', { number: made.ticket })).structuredContent;
      const members = (await callTool(orgs, 'get_organization_users', { organization: 'allen-firestation' }))
        .structuredContent;
      const conversation = (await call(b.api.url, agent, 'GET', `/api/conversations/${made.conversation}`))
        .body;
      const documents = (await call(b.api.url, agent, 'GET', '/api/knowledge/documents')).body;
      const search = (
        await call<{ results: { documentId?: string; title?: string }[] }>(
          b.api.url,
          agent,
          'GET',
          `/api/knowledge/search?q=${encodeURIComponent('quokka firmware calibration procedure')}`,
        )
      ).body;
      return { ticket, members, conversation, documents, search };
    } finally {
      await ticketing.close();
      await orgs.close();
    }
  }

  beforeAll(async () => {
    stack = await startBackend({ postgres: true });
    expect(Object.keys(stack.databaseUrls).sort()).toEqual([...POSTGRES_SERVICES].sort());
    const agent = await stack.login('alex_agent');
    // Tickets, comments and their events, through the ticketing server.
    const ticketing = await connectMcp(
      `${stack.ticketing.url}/mcp`,
      await resourceToken(stack.idp.issuer, 'alex_agent', stack.ticketing.url),
    );
    const created = await callTool(ticketing, 'create_ticket', {
      org: 'dallas-police',
      title: 'Backup drill: docking station offline',
      description: 'DS-8 in the sally port shows no network after the switch swap.',
      priority: 'high',
    });
    expect(created.isError).toBeFalsy();
    made.ticket = String((created.structuredContent!.ticket as { number: string | number }).number);
    expect(
      (
        await callTool(ticketing, 'add_comment', {
          number: made.ticket,
          body: 'Asked for a photo of the LEDs.',
        })
      ).isError,
    ).toBeFalsy();
    expect(
      (await callTool(ticketing, 'update_ticket', { number: made.ticket, status: 'in_progress' })).isError,
    ).toBeFalsy();
    await ticketing.close();
    // A permission change and its event, through the organizations server.
    const orgs = await connectMcp(
      `${stack.organizations.url}/mcp`,
      await resourceToken(stack.idp.issuer, 'admin', stack.organizations.url),
    );
    const set = await callTool(orgs, 'set_member_permissions', {
      organization: 'allen-firestation',
      username: 'linda_baker',
      permissions: ['view_records', 'view_agency_users'],
      reason: 'backup drill',
    });
    expect(set.isError).toBeFalsy();
    await orgs.close();
    // A conversation with a turn, and an uploaded document (its vectors in Chroma), through the API.
    const conv = await call<{ id: string }>(stack.api.url, agent, 'POST', '/api/conversations', {});
    made.conversation = conv.body.id;
    expect((await sendMessage(stack.api.url, agent, made.conversation, 'Show my tickets')).status).toBe(200);
    const up = await call<{ id: string }>(stack.api.url, agent, 'POST', '/api/knowledge/documents', {
      filename: 'quokka-calibration.md',
      content:
        '# Quokka calibration\n\nThe quokka firmware calibration procedure: hold the record button for ten seconds, then dock the camera.\n',
    });
    expect(up.status).toBeLessThan(300);
    made.document = up.body.id;
    for (let i = 0; i < 120; i++) {
      const d = await call<{ status: string }>(
        stack.api.url,
        agent,
        'GET',
        `/api/knowledge/documents/${made.document}`,
      );
      if (d.body.status === 'ready') break;
      expect(d.body.status).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The built-in documents ingest at start too: all done first, or the restored back end (which
    // finishes them) would differ from what was seen only by their progress.
    for (let i = 0; i < 240; i++) {
      const docs = await call<{ documents: { status: string }[] }>(
        stack.api.url,
        agent,
        'GET',
        '/api/knowledge/documents',
      );
      if (docs.body.documents.every((d) => d.status === 'ready' || d.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    Object.assign(seen, await answers(stack));
    expect(JSON.stringify((seen.search as { results: unknown[] }).results[0])).toContain('quokka');

    // The back end keeps running while it is backed up.
    before = await snapshot(stack.dataDir, stack.databaseUrls);
    const r = cli(['backup', '--out', out.dir, ...dbArgs(stack.databaseUrls), '--data-dir', stack.dataDir]);
    expect(r.stderr).toContain('wrote');
    expect(r.status).toBe(0);
    archive = join(
      out.dir,
      readdirSync(out.dir).find((f) => f.endsWith('.tar.gz'))!,
    );
  }, 300_000);

  afterAll(async () => {
    await restored?.stop();
    await stack?.stop();
    for (const d of databases) await d.drop().catch(() => {});
    out.cleanup();
    target.cleanup();
  });

  it('writes one dated archive with a manifest: versions, sizes, checksums; verify checks it', () => {
    expect(archive).toMatch(/msi-backup-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(readFileSync(`${archive}.sha256`, 'utf8')).toMatch(/^[0-9a-f]{64} {2}msi-backup-/);
    const v = cli(['verify', archive]);
    expect(v.status).toBe(0);
    expect(v.stderr).toContain('every checksum matches');
    const list = spawnSync('tar', ['-xzOf', archive, 'manifest.json'], { encoding: 'utf8' });
    const manifest = JSON.parse(list.stdout) as {
      format: string;
      app: { version: string };
      tools: Record<string, string>;
      services: string[];
      entries: {
        kind: string;
        service?: string;
        part?: string;
        bytes: number;
        sha256: string;
        schema?: object;
      }[];
    };
    expect(manifest.format).toBe('msi-backup/1');
    expect(manifest.tools.pg_dump).toMatch(/pg_dump \(PostgreSQL\) \d+/);
    expect(manifest.services.sort()).toEqual([...SERVICES].sort());
    for (const s of POSTGRES_SERVICES) {
      const entry = manifest.entries.find((e) => e.service === s);
      expect(entry, s).toMatchObject({ kind: 'postgres', schema: { main: expect.any(Number) } });
      expect((entry as unknown as { schema: { main: number } }).schema.main, s).toBeGreaterThan(0);
    }
    expect(manifest.entries.some((e) => e.part === 'chroma')).toBe(true);
    for (const e of manifest.entries) {
      // Chroma keeps some empty files; a database never is one.
      if (e.kind !== 'file') expect(e.bytes).toBeGreaterThan(0);
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('restores into new, empty databases: every row of every service comes back, and the services serve it', async () => {
    const urls: DatabaseUrls = {};
    for (const s of POSTGRES_SERVICES) urls[s] = (await fresh(`restored_${s}`)).url;
    const r = cli(['restore', archive, ...dbArgs(urls), '--data-dir', target.dir]);
    expect(r.stderr).toMatch(/restored \d+ database\(s\)/);
    expect(r.status).toBe(0);
    const after = await snapshot(target.dir, urls);
    for (const s of SERVICES) expect(after[s], s).toEqual(before[s]);
    // Every ticket, comment, event, conversation and document: the tables are all there, with rows.
    expect(after.ticketing!.tickets!.length).toBeGreaterThan(0);
    expect(after.ticketing!.comments!.length).toBeGreaterThan(0);
    expect(after.ticketing!.events!.length).toBeGreaterThan(0);
    expect(after.organizations!.events!.some((e) => e.includes('backup drill'))).toBe(true);
    expect(after.api!.conversations!.some((c) => c.includes(made.conversation))).toBe(true);
    expect(after.api!.kb_documents!.some((d) => d.includes(made.document))).toBe(true);

    restored = await startBackend({ databaseUrls: urls, dataDir: target.dir });
    const now = await answers(restored);
    expect(now.ticket).toEqual(seen.ticket);
    expect(now.members).toEqual(seen.members);
    expect(now.conversation).toEqual(seen.conversation);
    expect(now.documents).toEqual(seen.documents);
    expect(now.search).toEqual(seen.search);
  }, 300_000);

  it('refuses a database that is not empty, and leaves it as it was', async () => {
    const urls: DatabaseUrls = { ...stack.databaseUrls };
    const empty = tempDataDir('msi-restore-refused-');
    try {
      const r = cli(['restore', archive, ...dbArgs(urls), '--data-dir', empty.dir]);
      expect(r.status).toBe(73);
      expect(r.stderr).toMatch(/^backup: the idp database at .* is not empty \(\d+ tables\); .*--force/m);
      expect(await snapshot(stack.dataDir, stack.databaseUrls)).toEqual(before);
      expect(readdirSync(empty.dir)).toEqual([]);
    } finally {
      empty.cleanup();
    }
  });

  it('a corrupt archive, a missing pg_dump, a server that does not answer: a clear line and its exit code', async () => {
    const bytes = readFileSync(archive);
    const bad = join(out.dir, 'corrupt.tar.gz');
    writeFileSync(bad, Buffer.concat([bytes.subarray(0, bytes.length / 2), Buffer.alloc(64, 7)]));
    const c = cli(['restore', bad, '--server', testServerUrl()!, '--data-dir', join(target.dir, 'x')]);
    expect(c.status).toBe(65);
    expect(c.stderr).toMatch(/corrupt|not a readable backup archive/);

    // PATH with node and tar but no pg_dump.
    const bin = join(out.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/usr/bin/tar', join(bin, 'tar'));
    symlinkSync('/usr/bin/gzip', join(bin, 'gzip'));
    const t = cli(['backup', '--out', out.dir, ...dbArgs(stack.databaseUrls)], { PATH: bin });
    expect(t.status).toBe(69);
    expect(t.stderr).toBe(
      "backup: pg_dump is not installed or not on PATH (Debian: apt-get install postgresql-client; it must be the server's major version or newer)\n",
    );

    const u = cli(['backup', '--out', out.dir, '--db', 'idp=postgres://msi:s3cret@127.0.0.1:1/msi_idp']);
    expect(u.status).toBe(69);
    expect(u.stderr).toMatch(
      /^backup: the idp database at postgres:\/\/msi:\*\*\*@127\.0\.0\.1:1\/msi_idp cannot be reached/,
    );
    expect(readdirSync(out.dir).filter((f) => f.endsWith('.tar.gz') && f.startsWith('msi-'))).toHaveLength(1);
  });

  it('a failure half-way removes what the run restored: nothing is half-restored', async () => {
    const urls: DatabaseUrls = {};
    for (const s of POSTGRES_SERVICES) urls[s] = (await fresh(`half_${s}`)).url;
    // The data dir is a file: the databases restore, then its files cannot be written.
    const notADir = join(out.dir, 'not-a-dir');
    writeFileSync(notADir, '');
    const r = cli(['restore', archive, ...dbArgs(urls), '--data-dir', notADir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('nothing was restored');
    for (const s of POSTGRES_SERVICES) {
      const tables = await pgQuery<{ n: number }>(
        urls[s]!,
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables[0]!.n, s).toBe(0);
    }
  });
});

describe('prune (retention)', () => {
  it('keeps the newest archive of each of the last N days, weeks and months, and removes the rest', () => {
    const dir = tempDataDir('msi-prune-');
    try {
      // Two a day for 120 days back from 2026-12-01 (a Tuesday), each with its checksum file.
      const names: string[] = [];
      for (let d = 0; d < 120; d++) {
        for (const hour of ['02', '14']) {
          const t = new Date(Date.UTC(2026, 11, 1 - d, Number(hour), 15, 0));
          const name = `msi-backup-${t
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d+Z$/, 'Z')}.tar.gz`;
          writeFileSync(join(dir.dir, name), '');
          writeFileSync(join(dir.dir, `${name}.sha256`), '');
          names.push(name);
        }
      }
      writeFileSync(join(dir.dir, 'notes.txt'), 'not an archive');
      const r = cli(['prune', dir.dir, '--keep-daily', '3', '--keep-weekly', '2', '--keep-monthly', '3']);
      expect(r.status).toBe(0);
      const left = readdirSync(dir.dir).sort();
      const archives = left.filter((f) => f.endsWith('.tar.gz'));
      expect(archives).toEqual(
        [
          // the newest of each of the last 3 days
          'msi-backup-20261201T141500Z.tar.gz',
          'msi-backup-20261130T141500Z.tar.gz',
          'msi-backup-20261129T141500Z.tar.gz',
          // the newest of each of the last 2 weeks (Monday-based: 30 Nov–, 23–29 Nov)
          // the newest of each of the last 3 months (Dec, Nov, Oct)
          'msi-backup-20261031T141500Z.tar.gz',
        ].sort(),
      );
      for (const a of archives) expect(left).toContain(`${a}.sha256`);
      expect(left).toContain('notes.txt');
      expect(r.stderr).toBe(`backup: kept 4 archive(s), removed ${names.length - 4}\n`);
    } finally {
      dir.cleanup();
    }
  });
});
