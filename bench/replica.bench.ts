/**
 * Read-replica figures (`npm run bench -- replica`): a primary of our own and a streaming replica of it
 * (test/support/replica.ts: initdb, pg_basebackup), the ticketing server on them with BENCH_REPLICA_TICKETS
 * seeded tickets (default 5000) and DATABASE_READ_URL. Measured: the replication lag of a write (a ticket
 * created → the replica has replayed past the primary's WAL position after it), and how long a search
 * takes for the writer just after their write (the primary, unless the store has already seen the replica
 * catch up) and for another person (the replica). The machine's load dominates the search figures.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startBackend } from '../test/support/backend.js';
import { pgQuery } from '../test/support/database.js';
import { resourceToken } from '../test/support/idp.js';
import { callTool, connectMcp } from '../test/support/mcp.js';
import { canMakeClusters, startCluster, startReplica } from '../test/support/replica.js';
import { figure, latencyFigures, printFigures } from './lib.js';

if (!canMakeClusters()) {
  console.error('replica bench: needs the PostgreSQL server tools (initdb, pg_basebackup)');
  process.exit(2);
}
const tickets = Number(process.env.BENCH_REPLICA_TICKETS ?? 5000);
const rounds = Number(process.env.BENCH_REPLICA_ROUNDS ?? 30);
const word = () => `zq${randomBytes(4).toString('hex').replace(/\d/g, 'x')}`;

const primary = await startCluster();
const replica = await startReplica(primary);
try {
  await pgQuery(primary.url(), 'CREATE DATABASE msi_ticketing');
  const stack = await startBackend({
    databaseUrls: { ticketing: primary.url('msi_ticketing') },
    readUrls: { ticketing: replica.url('msi_ticketing') },
    seedTickets: tickets,
  });
  try {
    const mcp = async (u: string) =>
      connectMcp(`${stack.ticketing.url}/mcp`, await resourceToken(stack.idp.issuer, u, stack.ticketing.url));
    const watch = { primary: new pg.Client(primary.url()), replica: new pg.Client(replica.url()) };
    await watch.primary.connect();
    await watch.replica.connect();
    const alex = await mcp('alex_agent');
    const sam = await mcp('sam_supervisor');
    const lag: number[] = [];
    const onPrimary: number[] = [];
    const onReplica: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const w = word();
      const r = await callTool(alex, 'create_ticket', {
        org: 'dallas-police',
        title: `Bench ${w} radio`,
        description: 'bench',
      });
      if (r.isError) throw new Error(JSON.stringify(r.content));
      const t0 = performance.now();
      const [{ lsn }] = (
        await watch.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
      ).rows as [{ lsn: string }];
      // Polled on one open connection: the figure is the replica's, not connection set-up.
      for (;;) {
        const r = await watch.replica.query<{ done: boolean }>(
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [lsn],
        );
        if (r.rows[0]?.done) break;
      }
      lag.push(performance.now() - t0);
      // alex's own search just after their write: still the primary's (the store polls every 20 ms).
      let t = performance.now();
      await callTool(alex, 'search_tickets', { text: `${w} radio` });
      onPrimary.push(performance.now() - t);
      // sam's: the replica.
      t = performance.now();
      await callTool(sam, 'search_tickets', { text: 'radio' });
      onReplica.push(performance.now() - t);
    }
    latencyFigures('replica.lag', lag);
    latencyFigures('replica.search_by_writer', onPrimary);
    latencyFigures('replica.search_by_other', onReplica);
    const [stat] = await pgQuery<{ ms: number | null }>(
      primary.url(),
      'SELECT extract(epoch FROM replay_lag) * 1000 AS ms FROM pg_stat_replication',
    );
    figure('replica.pg_stat_replay_lag_ms', Number(stat?.ms ?? 0), 'ms');
    await alex.close();
    await sam.close();
    await watch.primary.end();
    await watch.replica.end();
  } finally {
    await stack.stop();
  }
} finally {
  await replica.remove();
  await primary.remove();
}
printFigures();
