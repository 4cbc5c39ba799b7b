import type { FastifyInstance } from 'fastify';

/**
 * DNS-rebinding protection: a page on a name an attacker points at 127.0.0.1 reaches our loopback
 * services with its own name in `Host`. Only this service's public host, the hosts configured besides
 * it, and a loopback name on the port the service is bound to are this service.
 */
export function allowedHosts(publicUrl: string, extra: readonly string[] = []): Set<string> {
  return new Set([new URL(publicUrl).host, ...extra].map((h) => h.toLowerCase()));
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Whether a `Host` header names this service (see allowedHosts). */
export function hostAllowed(host: string | undefined, allowed: Set<string>, app: FastifyInstance): boolean {
  const h = (host ?? '').toLowerCase();
  if (allowed.has(h)) return true;
  const colon = h.lastIndexOf(':');
  if (colon < 0) return false;
  const bound = app.server.address();
  const boundPort = typeof bound === 'object' && bound ? String(bound.port) : undefined;
  return h.slice(colon + 1) === boundPort && LOOPBACK_NAMES.includes(h.slice(0, colon));
}

export interface HostGuardOptions {
  /** This service's URL as others reach it (PUBLIC_URL). */
  publicUrl: string;
  /** Further `Host` values (ALLOWED_HOSTS: a load balancer's name, a container's service name). */
  extraHosts?: readonly string[];
  /** Paths answered for any Host: health probes (a container platform probes by address). */
  exemptPaths?: readonly string[];
}

/** Answers a request for a foreign Host with 421 Misdirected Request before any route runs. */
export function guardHosts(app: FastifyInstance, opts: HostGuardOptions): void {
  const allowed = allowedHosts(opts.publicUrl, opts.extraHosts);
  const exempt = new Set(opts.exemptPaths ?? ['/healthz']);
  app.addHook('onRequest', async (req, reply) => {
    if (exempt.has(req.url.split('?')[0]!) || hostAllowed(req.headers.host, allowed, app)) return;
    return reply.status(421).send({
      error: 'misdirected_request',
      message: `host ${req.headers.host ?? '(none)'} is not served here`,
    });
  });
}
