/**
 * Backup and restore figures (the seed's RPO < 24 h / RTO < 1 h): the back end on PostgreSQL where its
 * services support it (test/support/backend.ts POSTGRES_SERVICES) with BENCH_BACKUP_TICKETS seeded tickets
 * (default 20000), backed up live by `node scripts/backup.mjs backup`, then restored into new, empty
 * databases and a new data dir: the time of each, the archive's size, and the time until the services
 * answer on the restored data (the restore part of the RTO).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { POSTGRES_SERVICES, startBackend, type DatabaseUrls } from '../test/support/backend.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { freshDatabase, testServerUrl, type FreshDatabase } from '../test/support/database.js';
import { ROOT } from '../test/support/services.js';
import { figure, printFigures } from './lib.js';

if (!testServerUrl()) {
  console.error('backup bench: needs PostgreSQL (MSI_TEST_DATABASE_URL)');
  process.exit(2);
}
const tickets = Number(process.env.BENCH_BACKUP_TICKETS ?? 20_000);
/** Runs the command, printing each line it logs with the seconds since it started; resolves its ms. */
const cli = (args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const t = performance.now();
    const p = spawn(process.execPath, [join(ROOT, 'scripts', 'backup.mjs'), ...args], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      for (const line of d.split('\n').filter(Boolean))
        console.log(`  [${((performance.now() - t) / 1000).toFixed(1)} s] ${line}`);
    });
    p.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`backup.mjs ${args[0]} failed (${code}): ${err}`)),
    );
  });
const dbArgs = (urls: DatabaseUrls) => Object.entries(urls).flatMap(([s, u]) => ['--db', `${s}=${u}`]);

const out = tempDataDir('msi-bench-backups-');
const target = tempDataDir('msi-bench-restored-');
const databases: FreshDatabase[] = [];
let t0 = performance.now();
const stack = await startBackend({ postgres: true, seedTickets: tickets });
console.log(
  `back end up with ${tickets} tickets in ${((performance.now() - t0) / 1000).toFixed(1)} s (PostgreSQL: ${POSTGRES_SERVICES.join(', ')})`,
);
try {
  const backupMs = await cli([
    'backup',
    '--out',
    out.dir,
    ...dbArgs(stack.databaseUrls),
    '--data-dir',
    stack.dataDir,
  ]);
  const archive = join(
    out.dir,
    readdirSync(out.dir).find((f) => f.endsWith('.tar.gz'))!,
  );
  figure('backup.backup_s', backupMs / 1000, 's');
  figure('backup.archive_mb', statSync(archive).size / 1e6, 'MB');

  const urls: DatabaseUrls = {};
  for (const s of POSTGRES_SERVICES) {
    const d = await freshDatabase(`bench_restore_${s}`);
    databases.push(d);
    urls[s] = d.url;
  }
  const restoreMs = await cli(['restore', archive, ...dbArgs(urls), '--data-dir', target.dir]);
  figure('backup.restore_s', restoreMs / 1000, 's');
  t0 = performance.now();
  const restored = await startBackend({ databaseUrls: urls, dataDir: target.dir });
  const startMs = performance.now() - t0;
  await restored.stop();
  figure('backup.restored_services_up_s', startMs / 1000, 's');
  figure('backup.restore_total_s', (restoreMs + startMs) / 1000, 's');
} finally {
  await stack.stop();
  for (const d of databases) await d.drop().catch(() => {});
  out.cleanup();
  target.cleanup();
}
printFigures();
