/**
 * Requests from one API instance to another over Redis pub/sub: each instance subscribes to a channel of
 * its own (`instance:<id>`) and answers there what it is asked (decide an approval of a turn it runs, stop
 * a turn it runs); the answer comes back on the asker's channel with the request's correlation id.
 * A request to an instance that is gone has no subscriber: PUBLISH says so at once (no wait for a
 * timeout), and the caller gets `undefined`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, SharedRedis } from '@msi/kit';

type Handler = (body: unknown) => Promise<unknown>;

interface Wire {
  kind: string;
  corr: string;
  from?: string;
  body?: unknown;
  /** Set on an answer. */
  reply?: true;
  failed?: string;
}

export interface InstanceBus {
  readonly instanceId: string;
  /** Answers requests of `kind` sent to this instance. */
  handle(kind: string, fn: Handler): void;
  /** Asks `instanceId`; undefined when it is not listening or does not answer within `timeoutMs`. */
  call<T>(instanceId: string, kind: string, body: unknown, timeoutMs?: number): Promise<T | undefined>;
  close(): Promise<void>;
}

export async function createInstanceBus(
  redis: SharedRedis,
  instanceId: string,
  log: Logger,
): Promise<InstanceBus> {
  const channel = (id: string) => redis.key('instance', id);
  const handlers = new Map<string, Handler>();
  const waiting = new Map<string, (w: Wire | undefined) => void>();
  const sub = redis.blocking('instance-bus');
  const send = (to: string, w: Wire) => redis.client.publish(channel(to), JSON.stringify(w));

  sub.on('message', (_ch: string, raw: string) => {
    let w: Wire;
    try {
      w = JSON.parse(raw) as Wire;
    } catch {
      return;
    }
    if (w.reply) return waiting.get(w.corr)?.(w);
    const fn = handlers.get(w.kind);
    if (!fn || !w.from) return;
    const from = w.from;
    fn(w.body)
      .then(
        (body) => send(from, { kind: w.kind, corr: w.corr, reply: true, body }),
        (err: Error) => {
          log.warn({ err, kind: w.kind }, 'a request from another instance failed');
          return send(from, { kind: w.kind, corr: w.corr, reply: true, failed: err.message });
        },
      )
      .catch((err: Error) => log.warn({ err: err.message }, 'an answer to another instance was not sent'));
  });
  // Subscribed before the instance serves anyone (the connection resubscribes by itself after a drop).
  await sub.subscribe(channel(instanceId));

  return {
    instanceId,
    handle(kind, fn) {
      handlers.set(kind, fn);
    },
    async call<T>(to: string, kind: string, body: unknown, timeoutMs = 5000) {
      const corr = randomUUID();
      const answer = new Promise<Wire | undefined>((resolve) => {
        const timer = setTimeout(() => done(undefined), timeoutMs);
        function done(w: Wire | undefined) {
          clearTimeout(timer);
          waiting.delete(corr);
          resolve(w);
        }
        waiting.set(corr, done);
      });
      const receivers = await send(to, { kind, corr, from: instanceId, body }).catch((err: unknown) => {
        waiting.get(corr)?.(undefined);
        throw redis.unavailable(err);
      });
      if (receivers === 0) waiting.get(corr)?.(undefined);
      const w = await answer;
      if (w?.failed) throw new Error(`instance ${to}: ${w.failed}`);
      return w?.body as T | undefined;
    },
    async close() {
      for (const done of waiting.values()) done({ kind: '', corr: '', reply: true });
      await sub.unsubscribe().catch(() => undefined);
    },
  };
}
