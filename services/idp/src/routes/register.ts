import type { FastifyInstance } from 'fastify';
import { RegistrationError } from '../client-registry.js';
import type { Idp } from '../context.js';

/**
 * `POST /register`: dynamic client registration (RFC 7591) for native and loopback MCP hosts. Open (no
 * initial access token), JSON only, small; the client id it returns carries the registration.
 */
export function registerRoutes(app: FastifyInstance, idp: Idp): void {
  app.post('/register', { bodyLimit: 8 * 1024 }, async (req, reply) => {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return reply.status(400).send({
        error: 'invalid_client_metadata',
        error_description: 'send the client metadata as application/json',
      });
    }
    try {
      return reply.status(201).header('Cache-Control', 'no-store').send(idp.clients.register(req.body));
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      return reply.status(400).send({ error: err.error, error_description: err.description });
    }
  });
}
