/**
 * DATABASE_READ_URL against a real streaming replica made on this machine (test/support/replica.ts: a
 * primary of our own by initdb, a replica of it by pg_basebackup, each on its own port): the ticketing
 * server writes to the primary and searches on the replica. With the replica's replay paused (lag as
 * large as we like), the person who wrote finds their ticket at once (read-your-own-writes: served by
 * the primary) while someone else's search, served by the replica, does not yet; once replay resumes it
 * does (waited for, not slept). The lag of an ordinary write is measured and printed. With the replica
 * stopped, searches still answer, from the primary.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { pgQuery, testServerUrl } from '../../../test/support/database.js';
import { resourceToken } from '../../../test/support/idp.js';
import { callTool, connectMcp } from '../../../test/support/mcp.js';
import {
  canMakeClusters,
  replayedTo,
  startCluster,
  startReplica,
  walPosition,
  type Cluster,
} from '../../../test/support/replica.js';

/** A word no seeded ticket has (letters only, so full-text search keeps it whole). */
const word = () => `zq${[...randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

// Needs the shared test server's tools (initdb, pg_basebackup) and PostgreSQL tests switched on.
describe.runIf(testServerUrl() && canMakeClusters())('ticket searches on a read replica', () => {
  let primary: Cluster;
  let replica: Cluster;
  let stack: Backend;
  let alex: Client;
  let sam: Client;

  const found = async (c: Client, text: string): Promise<number> => {
    const r = await callTool(c, 'search_tickets', { text });
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    return (r.structuredContent as { total: number }).total;
  };
  const create = async (c: Client, title: string) => {
    const r = await callTool(c, 'create_ticket', {
      org: 'dallas-police',
      title,
      description: 'Made by the read-replica test.',
    });
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    return String((r.structuredContent!.ticket as { number: string | number }).number);
  };
  const onReplica = (q: string) => pgQuery(replica.url(), q);

  beforeAll(async () => {
    primary = await startCluster();
    replica = await startReplica(primary);
    await pgQuery(primary.url(), 'CREATE DATABASE msi_ticketing');
    stack = await startBackend({
      databaseUrls: { ticketing: primary.url('msi_ticketing') },
      readUrls: { ticketing: replica.url('msi_ticketing') },
      seedTickets: 200,
    });
    const token = (u: string) => resourceToken(stack.idp.issuer, u, stack.ticketing.url);
    alex = await connectMcp(`${stack.ticketing.url}/mcp`, await token('alex_agent'));
    sam = await connectMcp(`${stack.ticketing.url}/mcp`, await token('sam_supervisor'));
  }, 240_000);

  afterAll(async () => {
    await alex?.close();
    await sam?.close();
    await stack?.stop();
    await replica?.remove();
    await primary?.remove();
  });

  it('a person finds their own write at once; others find it once the replica has replayed it', async () => {
    const w = word();
    await onReplica('SELECT pg_wal_replay_pause()');
    try {
      const number = await create(alex, `Dock ${w} offline after the switch swap`);
      // On the primary, committed…
      expect(
        await pgQuery(primary.url('msi_ticketing'), 'SELECT id FROM tickets WHERE title LIKE $1', [`%${w}%`]),
      ).toHaveLength(1);
      // …the writer's search sees it at once (the replica has not replayed it: this answer is the primary's)…
      expect(await found(alex, w)).toBe(1);
      // …and someone else's search is served by the replica, which has not.
      expect(await found(sam, w)).toBe(0);
      expect(number).toMatch(/\d/);
    } finally {
      await onReplica('SELECT pg_wal_replay_resume()');
    }
    const resumed = Date.now();
    await until('the replica to serve the new ticket', async () =>
      (await found(sam, w)) === 1 ? true : undefined,
    );
    console.log(`replica: caught up ${Date.now() - resumed} ms after its replay resumed`);

    // The writer goes back to the replica once it has their write: paused again, a ticket sam writes is
    // sam's to see at once, not alex's.
    const w2 = word();
    await onReplica('SELECT pg_wal_replay_pause()');
    try {
      await create(sam, `Radio ${w2} static on channel 4`);
      expect(await found(sam, w2)).toBe(1);
      expect(await found(alex, w2)).toBe(0);
    } finally {
      await onReplica('SELECT pg_wal_replay_resume()');
    }
    await until('alex to see the ticket', async () => ((await found(alex, w2)) === 1 ? true : undefined));
  });

  it('measures the replication lag of a write', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const number = await create(alex, `Lag probe ${word()}`);
      const t0 = performance.now();
      const lsn = await walPosition(primary);
      await until('the replica to replay the write', async () =>
        (await replayedTo(replica, lsn)) ? true : undefined,
      );
      samples.push(performance.now() - t0);
      expect(number).toMatch(/\d/);
    }
    const [stat] = await pgQuery<{ state: string; replay_lag: unknown }>(
      primary.url(),
      'SELECT state, replay_lag::text AS replay_lag FROM pg_stat_replication',
    );
    expect(stat?.state).toBe('streaming');
    samples.sort((a, b) => a - b);
    console.log(
      `replica: lag after a write ${samples.map((s) => s.toFixed(1)).join(', ')} ms (median ${samples[2]!.toFixed(1)} ms); pg_stat_replication.replay_lag ${String(stat?.replay_lag)}`,
    );
  });

  it('with the replica stopped, searches still answer, from the primary', async () => {
    const w = word();
    await create(alex, `Charger ${w} blinking red`);
    await replica.stop();
    try {
      // Someone else's search would have gone to the replica: it answers from the primary instead.
      expect(await found(sam, w)).toBe(1);
      expect(await found(sam, w)).toBe(1);
      const stats = await callTool(sam, 'ticket_stats', {});
      expect(stats.isError).toBeFalsy();
      expect(stack.ticketing.output()).toMatch(
        /read replica at postgres:\/\/root@127\.0\.0\.1:\d+\/msi_ticketing does not answer; reads go to the primary/,
      );
    } finally {
      await replica.start();
    }
    // Back: searches are served again (whichever the replica or the primary, never an error).
    await until('searches after the replica is back', async () =>
      (await found(sam, w)) === 1 ? true : undefined,
    );
  });
});
