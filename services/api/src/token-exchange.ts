/**
 * RFC 8693 token exchange at the IDP: the person's API token becomes a token for one MCP server
 * (same person, that server as audience, narrowed scope). The person's own token is never forwarded.
 * Exchanged tokens are cached per person, audience and sign-in (`sid`) until shortly before they expire
 * (token-cache.ts: in this process, or in Redis), and dropped when that sign-in ends.
 * The target is named per deployment: `resource` (RFC 8707: the server's URL) or `audience` (RFC 8693
 * §2.1: the server's logical name at the IDP, as Keycloak 26 and Okta take it).
 */
import { sameIssuer, type Logger } from '@msi/kit';
import { memoryTokenCache, type CachedToken, type TokenCache } from './token-cache.js';

export class ExchangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExchangeError';
  }
}

export interface TokenExchanger {
  /**
   * A token for `audience` on behalf of the person `sub` whose API token is `subjectToken`, of the
   * sign-in `session` (the token's `sid`, when it has one).
   */
  tokenFor(sub: string, subjectToken: string, audience: string, session?: string): Promise<string>;
  /** Forgets the tokens exchanged for the sign-in `session` (it ended). */
  dropSession?(session: string): Promise<void>;
  /** A token of the API itself (client credentials, no person) for `audience`: for warming up only. */
  serviceToken?(audience: string): Promise<string>;
  /** Exchanges done at the IDP so far (cache misses). */
  readonly exchanges: number;
}

export type ExchangeTarget = 'resource' | 'audience';

export interface TokenExchangeOptions {
  /** The one issuer: its discovery document must name exactly this issuer. */
  issuer: string;
  /** How the MCP server is named in the request (default `resource`). */
  target?: ExchangeTarget;
  /** With `target: 'audience'`: the audience value for a server URL (default: the URL itself). */
  audiences?: Record<string, string>;
  clientId: string;
  clientSecret: string;
  log: Logger;
  /** Called after each exchange at the IDP (a cache miss), with the audience and whether it succeeded. */
  onExchange?: (audience: string, ok: boolean) => void;
  /** A cached token is renewed this long before it expires (ms). */
  renewBeforeMs?: number;
  /** Where exchanged tokens are kept (default: in this process). */
  cache?: TokenCache;
  now?: () => number;
}

type Cached = CachedToken;

export function createTokenExchanger(opts: TokenExchangeOptions): TokenExchanger {
  const renewBefore = opts.renewBeforeMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = opts.cache ?? memoryTokenCache(now);
  const inflight = new Map<string, Promise<string>>();
  let endpoint: Promise<string> | undefined;
  let exchanges = 0;

  const tokenEndpoint = () => {
    endpoint ??= (async () => {
      const res = await fetch(`${opts.issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new ExchangeError(`the identity provider's discovery answered ${res.status}`);
      const doc = (await res.json()) as { issuer?: string; token_endpoint?: string };
      if (!sameIssuer(doc.issuer, opts.issuer))
        throw new ExchangeError(
          `the identity provider's discovery names issuer ${doc.issuer}, expected ${opts.issuer}`,
        );
      if (!doc.token_endpoint)
        throw new ExchangeError("the identity provider's discovery has no token_endpoint");
      return doc.token_endpoint;
    })();
    endpoint.catch(() => (endpoint = undefined));
    return endpoint;
  };

  /** The request's name for the server at `url`: `resource=url`, or `audience=<its audience>`. */
  const target = (url: string): Record<string, string> =>
    opts.target === 'audience' ? { audience: opts.audiences?.[url] ?? url } : { resource: url };

  const exchange = (subjectToken: string, audience: string) =>
    tokenRequest(audience, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...target(audience),
    });

  const tokenRequest = async (audience: string, params: Record<string, string>): Promise<Cached> => {
    const url = await tokenEndpoint().catch((err: Error) => {
      throw err instanceof ExchangeError
        ? err
        : new ExchangeError(`cannot reach the identity provider: ${err.message}`);
    });
    const body = new URLSearchParams(params);
    const basic = Buffer.from(
      `${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`,
    ).toString('base64');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ExchangeError(`cannot reach the identity provider: ${(err as Error).message}`);
    }
    if (params.grant_type !== 'client_credentials') exchanges++;
    const json = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (params.grant_type !== 'client_credentials')
      opts.onExchange?.(audience, res.ok && !!json.access_token);
    if (!res.ok || !json.access_token) {
      opts.log.warn({ status: res.status, error: json.error, audience }, 'token exchange refused');
      throw new ExchangeError(
        `the identity provider refused a token for ${audience}: ${json.error ?? res.status}${json.error_description ? ` (${json.error_description})` : ''}`,
      );
    }
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 300;
    return { token: json.access_token, expiresAt: now() + expiresIn * 1000 };
  };

  return {
    get exchanges() {
      return exchanges;
    },
    async serviceToken(audience) {
      return (await tokenRequest(audience, { grant_type: 'client_credentials', ...target(audience) })).token;
    },
    async tokenFor(sub, subjectToken, audience, session) {
      // A token without a sign-in id (another provider's) is cached per person.
      const group = session ?? `sub:${sub}`;
      const key = `${sub}\n${audience}`;
      const flight = `${group}\n${key}`;
      let p = inflight.get(flight);
      if (!p) {
        p = (async () => {
          const hit = await cache.get(group, key);
          if (hit && hit.expiresAt - renewBefore > now()) return hit.token;
          const c = await exchange(subjectToken, audience);
          await cache.set(group, key, c, c.expiresAt - renewBefore - now());
          return c.token;
        })();
        inflight.set(flight, p);
        void p.finally(() => inflight.delete(flight)).catch(() => {});
      }
      return p;
    },
    dropSession: (session) => cache.dropSession(session),
  };
}
