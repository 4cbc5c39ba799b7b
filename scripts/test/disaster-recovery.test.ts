/**
 * docs/disaster-recovery.md end to end on this machine (test/support/drill.ts): the back end runs on
 * PostgreSQL and makes data through its real services; two scheduled backups are taken (a ticket made
 * between them, one more after the last); the back end is lost (its processes stopped, its databases
 * dropped, its data dir and Chroma's removed). Then the runbook: a fresh PostgreSQL server (initdb, another
 * port), a fresh data dir and Chroma, the latest backup restored, the services started on it, and a
 * journey — sign in for real, the home's ticket list, the tickets, the conversation, a document search —
 * passes. The RTO (disaster declared → journey passes) is printed; what was written after the last backup
 * is gone, which is what the RPO (the backup interval) means.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../test/support/backend.js';
import { tempDataDir } from '../../test/support/data-dir.js';
import { pgQuery, testServerUrl } from '../../test/support/database.js';
import {
  journey,
  latestBackup,
  makeDrillData,
  makeTicket,
  recover,
  takeBackup,
  type DrillData,
  type Recovery,
} from '../../test/support/drill.js';
import { resourceToken } from '../../test/support/idp.js';
import { callTool, connectMcp } from '../../test/support/mcp.js';
import { canMakeClusters } from '../../test/support/replica.js';

const word = () => `zq${[...randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

/** Archive names have one-second resolution: the next backup waits for the clock to pass the last one's. */
async function nextSecond(since: number): Promise<void> {
  const s = Math.floor(since / 1000);
  while (Math.floor(Date.now() / 1000) === s) await new Promise((r) => setImmediate(r));
}

describe.runIf(testServerUrl() && canMakeClusters())('disaster recovery, end to end', () => {
  const backups = tempDataDir('msi-dr-backups-');
  let old: Backend | undefined;
  let made: DrillData;
  let between = '';
  let after = '';
  let first = '';
  let last = '';
  let lastBackupAt = 0;
  let before: Awaited<ReturnType<typeof journey>>;
  let recovery: Recovery | undefined;

  beforeAll(async () => {
    old = await startBackend({ postgres: true, seedTickets: 10 });
    made = await makeDrillData(old, word());
    before = await journey(old, made);
    first = await takeBackup(old, backups.dir);
    // Made between the two backups: the latest one has it.
    between = await makeTicket(old, word());
    await nextSecond(Date.now());
    last = await takeBackup(old, backups.dir);
    lastBackupAt = Date.now();
    // Made after the last backup: lost with the old back end (within the RPO).
    after = await makeTicket(old, word());
  }, 300_000);

  afterAll(async () => {
    await recovery?.cleanup();
    await old?.stop();
    backups.cleanup();
  });

  it('restores the latest backup onto new infrastructure and the journey passes; prints the RTO', async () => {
    expect(latestBackup(backups.dir)).toBe(last);
    expect(first < last).toBe(true);
    const lostDatabases = Object.values(old!.databaseUrls);
    // The disaster: the whole back end and its data are gone.
    await old!.stop();
    old = undefined;
    for (const url of lostDatabases) {
      const name = new URL(url).pathname.slice(1);
      const left = await pgQuery(testServerUrl()!, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(left, name).toHaveLength(0);
    }
    const lostFor = Date.now() - lastBackupAt;

    recovery = await recover(backups.dir, made);
    const { ms, backend, cluster, result } = recovery;
    // A server of its own, not the one that was lost.
    expect(cluster.port).not.toBe(Number(new URL(testServerUrl()!).port || 5432));
    expect(recovery.archive).toBe(last);

    // The journey passed (recover() checks it); the same things came back.
    // alex's queue: what it held before, plus the ticket made between the backups (assigned to alex);
    // the one made after the last backup is lost.
    expect(result.queueTotal).toBe(before.queueTotal + 1);
    expect(result.searched).toEqual([made.ticket]);
    expect(result.ticketTitle).toBe(before.ticketTitle);
    expect(result.conversationMessages).toBe(before.conversationMessages);
    expect(result.conversationMessages).toBeGreaterThan(0);
    expect(result.searchTop).toBe(before.searchTop);

    // The latest backup: the ticket made between the backups is there; the one after the last is not.
    const alex = await connectMcp(
      `${backend.ticketing.url}/mcp`,
      await resourceToken(backend.idp.issuer, 'alex_agent', backend.ticketing.url),
    );
    try {
      expect((await callTool(alex, 'get_ticket', { number: between })).isError).toBeFalsy();
      const gone = await callTool(alex, 'get_ticket', { number: after });
      expect(gone.isError).toBe(true);
      expect(JSON.stringify(gone.content)).toContain('not found');
    } finally {
      await alex.close();
    }
    console.log(
      `DR: RTO ${(ms.rto / 1000).toFixed(1)} s (provision ${(ms.provision / 1000).toFixed(1)} s, restore ${(ms.restore / 1000).toFixed(1)} s, deploy ${(ms.deploy / 1000).toFixed(1)} s, verify ${(ms.verify / 1000).toFixed(1)} s); lost: the writes of the last ${(lostFor / 1000).toFixed(1)} s since the last backup (RPO = the backup interval, 24 h daily)`,
    );
    // The seed's objective.
    expect(ms.rto).toBeLessThan(60 * 60 * 1000);
  }, 300_000);
});
