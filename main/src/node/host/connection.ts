/**
 * "Test connection": fetches the IDP's discovery document and the API's /healthz, and says for each
 * whether it worked and, if not, why — DNS, refused, timeout, TLS, HTTP status, or a bad document.
 */
import type { ConnectionCheck } from '../../common/host-api.js';

export async function testConnection(
  target: { issuer: string; apiUrl: string },
  timeoutMs = 5000,
): Promise<[idp: ConnectionCheck, api: ConnectionCheck]> {
  const issuer = target.issuer.replace(/\/+$/, '');
  return Promise.all([
    check('idp', `${issuer}/.well-known/openid-configuration`, timeoutMs, (body) => {
      const doc = body as Record<string, unknown> | null;
      if (!doc || typeof doc !== 'object') return 'the discovery document is not a JSON object';
      // The same issuer but for a trailing slash (Auth0 spells its issuer with one).
      if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== issuer)
        return `the discovery document names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`;
      for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
        if (typeof doc[k] !== 'string') return `the discovery document has no ${k}`;
      }
      return undefined;
    }),
    check('api', `${target.apiUrl.replace(/\/+$/, '')}/healthz`, timeoutMs, () => undefined),
  ]);
}

async function check(
  endpoint: ConnectionCheck['endpoint'],
  url: string,
  timeoutMs: number,
  validate: (body: unknown) => string | undefined,
): Promise<ConnectionCheck> {
  const t = performance.now();
  const result = (ok: boolean, message: string): ConnectionCheck => ({
    endpoint,
    url,
    ok,
    message,
    ms: Math.round(performance.now() - t),
  });
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
    if (!/^https?:$/.test(parsedUrl.protocol)) return result(false, `${url} is not an http(s) URL`);
  } catch {
    return result(false, `${JSON.stringify(url)} is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    return result(false, explainFetchError(err, parsedUrl, timeoutMs));
  }
  if (!res.ok) return result(false, `GET ${url} answered HTTP ${res.status} ${res.statusText}`.trim());
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return result(
      false,
      `GET ${url} did not answer JSON (content-type ${res.headers.get('content-type') ?? 'none'})`,
    );
  }
  const problem = validate(body);
  if (problem) return result(false, `GET ${url}: ${problem}`);
  return result(true, `GET ${url} answered ${res.status} OK`);
}

export function explainFetchError(err: unknown, url: URL, timeoutMs: number): string {
  const e = err as Error & { cause?: NodeJS.ErrnoException & { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer from ${url.host} within ${timeoutMs} ms (timeout)`;
  const code = e.cause?.code ?? (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `cannot resolve host ${url.hostname} (DNS: ${code})`;
    case 'ECONNREFUSED':
      return `connection to ${url.host} refused (nothing listens there)`;
    case 'ECONNRESET':
      return `connection to ${url.host} was reset`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host ${url.host} is unreachable (${code})`;
    default:
      if (code && /CERT|SSL|TLS/.test(code)) return `TLS problem with ${url.host}: ${code}`;
      return `request to ${url.host} failed: ${e.cause?.message ?? e.message}`;
  }
}
