/**
 * Chroma's token auth. Chroma's own server (1.x, Rust) has no authentication of its own, so with
 * `CHROMA_TOKEN` set the native server listens on an internal loopback port and this gate listens on the
 * service's address: every request must carry the token (`X-Chroma-Token`, the header Chroma's clients
 * send, or `Authorization: Bearer`), except the heartbeat, healthcheck and version a health probe needs.
 * Compared in constant time; refused with 401 and a JSON error that says what is missing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

const OPEN = new Set(['/api/v2/heartbeat', '/api/v2/healthcheck', '/api/v2/version']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token a request presents, if any. */
function presented(req: IncomingMessage): string | undefined {
  const header = req.headers['x-chroma-token'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i);
  return auth?.[1];
}

export function tokenOk(req: IncomingMessage, token: string): boolean {
  const given = presented(req);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** The gate in front of the native server at 127.0.0.1:`upstreamPort`. */
export function tokenGate(token: string, upstreamPort: number): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const open = req.method === 'GET' && OPEN.has(path);
    if (!open && !tokenOk(req, token)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="chroma"' });
      res.end(
        JSON.stringify({
          error: 'unauthorized',
          message: presented(req)
            ? 'the Chroma token is wrong'
            : 'Chroma needs its token (X-Chroma-Token or Authorization: Bearer)',
        }),
      );
      req.resume();
      return;
    }
    const headers = { ...req.headers };
    delete headers['x-chroma-token'];
    delete headers.authorization;
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'bad_gateway',
          message: `Chroma's server is not answering (${err.message})`,
        }),
      );
    });
    req.pipe(upstream);
  });
}
