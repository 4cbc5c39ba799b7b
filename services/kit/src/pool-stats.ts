/**
 * The PostgreSQL pools open in this process, for the metrics' pool gauges (metrics.ts). Kept apart from
 * metrics.ts so that opening a store never loads the metrics library: a pool is only counted, and read
 * when /metrics is scraped.
 */

/** What node-postgres's Pool exposes about itself. */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface PoolStats {
  /** The service whose database it is ("ticketing"). */
  database: string;
  inUse: number;
  idle: number;
  waiting: number;
  max: number;
}

const pools = new Map<symbol, () => PoolStats>();

/** Counts `pool` among this process's pools until the returned function is called (at close). */
export function trackPool(database: string, pool: PoolCounts, max: number): () => void {
  const id = Symbol(database);
  pools.set(id, () => ({
    database,
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max,
  }));
  return () => pools.delete(id);
}

/** The pools open now, read at this moment. */
export function poolStats(): PoolStats[] {
  return [...pools.values()].map((read) => read());
}
