/**
 * The measured RTO of docs/disaster-recovery.md (`npm run bench -- dr`): the back end on PostgreSQL with
 * BENCH_DR_TICKETS seeded tickets (default 2000) and the drill's data made through its services, backed
 * up with scripts/backup.mjs, then lost; the runbook (test/support/drill.ts `recover`) brings it back on a
 * fresh PostgreSQL server (initdb, another port) and a fresh data dir and Chroma, and the clock stops when
 * the journey passes. Each step's time and the archive's age at the disaster (what an RPO of "the backup
 * interval" loses) are printed too.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { startBackend } from '../test/support/backend.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { testServerUrl } from '../test/support/database.js';
import { makeDrillData, recover, takeBackup } from '../test/support/drill.js';
import { canMakeClusters } from '../test/support/replica.js';
import { figure, printFigures } from './lib.js';

if (!testServerUrl() || !canMakeClusters()) {
  console.error(
    'dr bench: needs PostgreSQL (MSI_TEST_DATABASE_URL) and its server tools (initdb, pg_basebackup)',
  );
  process.exit(2);
}
const tickets = Number(process.env.BENCH_DR_TICKETS ?? 2000);
const backups = tempDataDir('msi-bench-dr-');
let old: Awaited<ReturnType<typeof startBackend>> | undefined = await startBackend({
  postgres: true,
  seedTickets: tickets,
});
try {
  const made = await makeDrillData(old, `zq${randomBytes(4).toString('hex').replace(/\d/g, 'x')}`);
  const archive = await takeBackup(old, backups.dir);
  const backedUpAt = Date.now();
  figure('dr.archive_mb', statSync(archive).size / 1e6, 'MB');
  await old.stop(); // the disaster: processes, databases, data dir and Chroma's files are gone
  old = undefined;
  const sinceBackup = Date.now() - backedUpAt;
  const r = await recover(backups.dir, made);
  try {
    console.log(
      `  restored ${r.archive} onto ${r.cluster.url()}; journey passed: ${JSON.stringify(r.result)}`,
    );
    figure('dr.provision_s', r.ms.provision / 1000, 's');
    figure('dr.restore_s', r.ms.restore / 1000, 's');
    figure('dr.deploy_s', r.ms.deploy / 1000, 's');
    figure('dr.verify_s', r.ms.verify / 1000, 's');
    figure('dr.rto_s', r.ms.rto / 1000, 's');
    figure('dr.backup_age_at_disaster_s', sinceBackup / 1000, 's');
  } finally {
    await r.cleanup();
  }
} finally {
  await old?.stop();
  backups.cleanup();
}
printFigures();
