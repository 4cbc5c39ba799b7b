/**
 * Sign-in throttling: after `limit` failures for one key (a username, or a client address) within the
 * window, further attempts are refused until a lock ends; each further failure doubles the lock.
 */
export class Throttle {
  private readonly entries = new Map<string, { failures: number; first: number; lockedUntil: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 15 * 60_000,
    private readonly baseLockMs = 30_000,
    private readonly maxLockMs = 15 * 60_000,
  ) {}

  /** Milliseconds until `key` may try again (0: now). */
  retryAfterMs(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.lockedUntil - Date.now()) : 0;
  }

  fail(key: string): void {
    const t = Date.now();
    let e = this.entries.get(key);
    if (!e || t - e.first > this.windowMs) e = { failures: 0, first: t, lockedUntil: 0 };
    e.failures++;
    if (e.failures >= this.limit) {
      e.lockedUntil = t + Math.min(this.maxLockMs, this.baseLockMs * 2 ** (e.failures - this.limit));
    }
    this.entries.set(key, e);
    if (this.entries.size > 10_000) this.sweep(t);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, e] of this.entries)
      if (t - e.first > this.windowMs && e.lockedUntil < t) this.entries.delete(k);
  }
}
