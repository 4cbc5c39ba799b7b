/**
 * Read-replica figures (`npm run bench -- replica`): a primary of our own and a streaming replica of it
 * (test/support/replica.ts: initdb, pg_basebackup), the ticketing server on them with BENCH_REPLICA_TICKETS
 * seeded tickets (default 5000) and DATABASE_READ_URL. Measured: the replication lag of a write (a ticket
 * created → the replica has replayed past the primary's WAL position after it), and how long a person's
 * search takes served by the replica versus by the primary (right after their own write).
 */
import { randomBytes } from 'node:crypto';
import { startBackend } from '../test/support/backend.js';
import { pgQuery } from '../test/support/database.js';
import { resourceToken } from '../test/support/idp.js';
import { callTool, connectMcp } from '../test/support/mcp.js';
import {
  canMakeClusters,
  replayedTo,
  startCluster,
  startReplica,
  walPosition,
} from '../test/support/replica.js';
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
      const lsn = await walPosition(primary);
      const t0 = performance.now();
      // alex's own search right after the write: the primary.
      let t = performance.now();
      await callTool(alex, 'search_tickets', { text: 'radio' });
      onPrimary.push(performance.now() - t);
      while (!(await replayedTo(replica, lsn))) await new Promise((res) => setImmediate(res));
      lag.push(performance.now() - t0);
      // sam's: the replica.
      t = performance.now();
      await callTool(sam, 'search_tickets', { text: 'radio' });
      onReplica.push(performance.now() - t);
    }
    latencyFigures('replica.lag', lag);
    latencyFigures('replica.search_on_primary', onPrimary);
    latencyFigures('replica.search_on_replica', onReplica);
    const [stat] = await pgQuery<{ ms: number | null }>(
      primary.url(),
      'SELECT extract(epoch FROM replay_lag) * 1000 AS ms FROM pg_stat_replication',
    );
    figure('replica.pg_stat_replay_lag_ms', Number(stat?.ms ?? 0), 'ms');
    await alex.close();
    await sam.close();
  } finally {
    await stack.stop();
  }
} finally {
  await replica.remove();
  await primary.remove();
}
printFigures();
