/**
 * The issuer's revocation feed as a resource server sees it: our IDP publishes what was revoked (a
 * sign-in ended: its `sid`; one access token: its `jti`) at `GET /revocations?after=<cursor>`, named in
 * its discovery document as `msi_revocations_endpoint`. A token verifier polls it every REVOCATION_POLL_MS
 * (2 s) and refuses tokens it names, so a sign-out stops working within seconds rather than when the
 * token expires. A provider without the feed (Keycloak, Okta, oidc-provider) leaves the window at the
 * token's lifetime (docs/identity-providers.md).
 *
 * It polls while tokens are being checked: after IDLE_MS without one it stops, and the next check waits
 * for a fresh poll first (a loopback round trip), so an idle desktop does not call its IDP every 2 s and
 * a verifier that slept never accepts what was revoked meanwhile. When the feed cannot be reached the
 * last list is kept (entries leave it only when the tokens they name have expired) and that is logged.
 */
import type { Logger } from './log.js';

export interface Revoked {
  /** Sign-ins (grants) ended: every token naming one of them. */
  sids: string[];
  /** Single access tokens revoked. */
  jtis: string[];
}

export interface RevocationFeed {
  /** Resolves once the list is fresh (polled within the last interval, or the feed is unreachable). */
  fresh(): Promise<void>;
  /** Whether a token with this `sid` / `jti` was revoked. */
  isRevoked(sid: string | undefined, jti: string | undefined): boolean;
  /** Called with what each poll newly brought (the API drops its exchanged tokens of those sign-ins). */
  onRevoked(listener: (r: Revoked) => void): void;
  close(): void;
}

export interface RevocationFeedOptions {
  url: string;
  pollMs: number;
  log?: Pick<Logger, 'warn' | 'info'> | undefined;
  /** Stops polling after this long without a check (ms). */
  idleMs?: number;
  now?: () => number;
}

const IDLE_MS = 60_000;
/** A check waits at most this long for a poll (an IDP that hangs must not hang every request). */
const WAIT_MS = 2_000;

interface Page {
  cursor?: string;
  last?: string;
  more?: boolean;
  revoked?: { sid?: string; jti?: string; exp?: number }[];
}

export function createRevocationFeed(opts: RevocationFeedOptions): RevocationFeed {
  const now = opts.now ?? Date.now;
  const idleMs = opts.idleMs ?? IDLE_MS;
  /** id → expiry (seconds): kept until no token naming it can be valid any more. */
  const sids = new Map<string, number>();
  const jtis = new Map<string, number>();
  const listeners: ((r: Revoked) => void)[] = [];
  let cursor = '0';
  let lastPoll = 0;
  let lastUse = 0;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  const drop = (m: Map<string, number>, t: number) => {
    for (const [k, exp] of m) if (exp < t) m.delete(k);
  };

  const pollOnce = async () => {
    const fresh: Revoked = { sids: [], jtis: [] };
    for (let page = 0; page < 100; page++) {
      const url = new URL(opts.url);
      url.searchParams.set('after', cursor);
      const res = await fetch(url, { signal: AbortSignal.timeout(WAIT_MS) });
      if (!res.ok) throw new Error(`the revocation feed answered ${res.status}`);
      const body = (await res.json()) as Page;
      // Our cursor is beyond the feed's newest entry: the IDP's database was replaced. Start again.
      if (typeof body.last === 'string' && Number(body.last) < Number(cursor)) {
        cursor = '0';
        continue;
      }
      for (const r of body.revoked ?? []) {
        const exp = typeof r.exp === 'number' ? r.exp : Math.floor(now() / 1000) + 3600;
        if (typeof r.sid === 'string') {
          if (!sids.has(r.sid)) fresh.sids.push(r.sid);
          sids.set(r.sid, exp);
        }
        if (typeof r.jti === 'string') {
          if (!jtis.has(r.jti)) fresh.jtis.push(r.jti);
          jtis.set(r.jti, exp);
        }
      }
      if (typeof body.cursor === 'string') cursor = body.cursor;
      if (!body.more) break;
    }
    const t = Math.floor(now() / 1000);
    drop(sids, t);
    drop(jtis, t);
    if (fresh.sids.length || fresh.jtis.length) for (const l of listeners) l(fresh);
  };

  const poll = () =>
    (inflight ??= pollOnce()
      .then(
        () => {
          if (failing) opts.log?.info({ feed: opts.url }, 'the revocation feed is reachable again');
          failing = false;
        },
        (err: Error) => {
          if (!failing)
            opts.log?.warn(
              { feed: opts.url, err: err.message, kept: sids.size + jtis.size },
              'cannot reach the revocation feed; the last list of revoked tokens stays in force',
            );
          failing = true;
        },
      )
      .finally(() => {
        lastPoll = now();
        inflight = undefined;
      }));

  const schedule = () => {
    timer = setTimeout(() => {
      timer = undefined;
      if (closed || now() - lastUse > idleMs) return;
      void poll().then(() => {
        if (!closed && !timer) schedule();
      });
    }, opts.pollMs);
    timer.unref();
  };

  return {
    async fresh() {
      if (closed) return;
      const t0 = now();
      // Unused for IDLE_MS: the polling stopped (or is about to), so the list may be old: poll first.
      const idle = t0 - lastUse > idleMs;
      lastUse = t0;
      if (!timer && !inflight) schedule();
      // Polled within the interval: the list is as fresh as the polling makes it.
      if (!idle && !inflight && t0 - lastPoll <= opts.pollMs * 1.5) return;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        poll(),
        new Promise<void>((resolve) => {
          t = setTimeout(resolve, WAIT_MS);
          t.unref();
        }),
      ]);
      clearTimeout(t);
    },
    isRevoked(sid, jti) {
      return (sid !== undefined && sids.has(sid)) || (jti !== undefined && jtis.has(jti));
    },
    onRevoked(listener) {
      listeners.push(listener);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
