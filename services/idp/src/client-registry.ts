/**
 * Every client the IDP knows: the two it is configured with (the desktop app, the API), and the MCP hosts
 * that sign in without being registered beforehand (VS Code, Claude Desktop, MCP Inspector, …):
 *
 * - **Client ID Metadata Documents** (the MCP 2025-11-25 recommendation): the client id is an https URL
 *   whose JSON names the client and its redirect URIs; fetched when used, cached for a few minutes.
 * - **Dynamic client registration** (RFC 7591, `POST /register`) for native and loopback clients. The
 *   registration is kept in the client id itself, signed (`dcr.<metadata>.<mac>`): nothing is stored, so an
 *   anonymous caller cannot fill the database, and every IDP instance knows every registered client.
 *
 * Neither kind is ever trusted like the desktop app: the person is asked on a consent page naming the
 * client, where the code goes, and the scopes, every time. Both are public clients (PKCE, no secret).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '@msi/kit';
import { GRANT, registeredClients, type Client } from './clients.js';
import type { IdpConfig } from './config.js';

/** RFC 7591 §3.2.2's error, answered 400. */
export class RegistrationError extends Error {
  constructor(
    readonly error: 'invalid_redirect_uri' | 'invalid_client_metadata',
    readonly description: string,
  ) {
    super(description);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_NAME = 100;
const MAX_REDIRECTS = 5;
const MAX_URI = 300;
/** A dynamically registered client id must fit in an authorization request's client_id (1024 characters). */
const MAX_DCR_METADATA = 560;
const DOCUMENT_MAX_BYTES = 5 * 1024;
const DOCUMENT_TIMEOUT_MS = 5_000;
const DOCUMENT_TTL_MS = 5 * 60_000;
const CODE_GRANTS = [GRANT.code, GRANT.refresh];

/** What a registration asks for (RFC 7591 §2), the fields this server honours. */
export interface ClientMetadata {
  client_name?: string;
  redirect_uris: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
  client_uri?: string;
}

type RedirectKind = 'loopback' | 'private-use' | 'https';

function redirectKind(uri: string): RedirectKind | undefined {
  if (typeof uri !== 'string' || uri.length > MAX_URI || !URL.canParse(uri)) return undefined;
  const u = new URL(uri);
  if (u.hash || u.username || u.password) return undefined;
  if (u.protocol === 'http:') return LOOPBACK.has(u.hostname) ? 'loopback' : undefined;
  if (u.protocol === 'https:') return 'https';
  // RFC 8252 §7.1: a private-use scheme is a reverse domain name (`com.example.app:/callback`).
  const scheme = u.protocol.slice(0, -1);
  if (
    /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/i.test(scheme) &&
    !/^(javascript|data|file|vbscript)$/i.test(scheme)
  )
    return 'private-use';
  return undefined;
}

/**
 * Whether `uri` is one of `registered`: exactly, except that a loopback redirect may use any port
 * (RFC 8252 §7.3: native apps get an ephemeral port when they listen).
 */
export function redirectMatches(uri: string, registered: readonly string[]): boolean {
  if (!URL.canParse(uri)) return false;
  const u = new URL(uri);
  return registered.some((r) => {
    if (r === uri) return true;
    if (redirectKind(r) !== 'loopback' || u.protocol !== 'http:' || !URL.canParse(r)) return false;
    const g = new URL(r);
    return (
      LOOPBACK.has(u.hostname) &&
      u.hostname === g.hostname &&
      u.pathname === g.pathname &&
      u.search === g.search &&
      !u.hash &&
      !u.username &&
      !u.password
    );
  });
}

/** Checks and normalises metadata; `allowHttps`: https redirect URIs (a document's host vouches for them). */
function checkMetadata(
  m: unknown,
  allowHttps: boolean,
): Required<Pick<ClientMetadata, 'redirect_uris'>> & {
  client_name?: string;
} {
  if (!m || typeof m !== 'object' || Array.isArray(m))
    throw new RegistrationError('invalid_client_metadata', 'the client metadata must be a JSON object');
  const md = m as Record<string, unknown>;
  const uris = md.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0)
    throw new RegistrationError('invalid_redirect_uri', 'redirect_uris must be a non-empty array of URIs');
  if (uris.length > MAX_REDIRECTS)
    throw new RegistrationError(
      'invalid_redirect_uri',
      `at most ${MAX_REDIRECTS} redirect_uris are accepted`,
    );
  for (const uri of uris) {
    const kind = redirectKind(uri as string);
    if (!kind || (kind === 'https' && !allowHttps)) {
      throw new RegistrationError(
        'invalid_redirect_uri',
        allowHttps
          ? `redirect URI ${JSON.stringify(uri)} must be https, a loopback http URI (RFC 8252 §7.3) or a private-use scheme (§7.1), without a fragment, at most ${MAX_URI} characters`
          : `redirect URI ${JSON.stringify(uri)} is not one this server registers: dynamic registration is for native and loopback clients (a loopback http URI, RFC 8252 §7.3, or a private-use scheme such as com.example.app:/callback, §7.1); a web client publishes a Client ID Metadata Document instead`,
      );
    }
  }
  const method = md.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none') {
    throw new RegistrationError(
      'invalid_client_metadata',
      `token_endpoint_auth_method must be none: clients registered here are public and use PKCE (got ${JSON.stringify(method)})`,
    );
  }
  const grants = md.grant_types;
  if (
    grants !== undefined &&
    (!Array.isArray(grants) || grants.some((g) => !CODE_GRANTS.includes(g as (typeof CODE_GRANTS)[number])))
  ) {
    throw new RegistrationError(
      'invalid_client_metadata',
      `grant_types may hold only ${CODE_GRANTS.join(' and ')} (got ${JSON.stringify(grants)})`,
    );
  }
  const responses = md.response_types;
  if (responses !== undefined && (!Array.isArray(responses) || responses.some((r) => r !== 'code'))) {
    throw new RegistrationError('invalid_client_metadata', 'response_types may hold only code');
  }
  const name = md.client_name;
  if (name !== undefined && (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME)) {
    throw new RegistrationError('invalid_client_metadata', `client_name must be 1-${MAX_NAME} characters`);
  }
  return {
    redirect_uris: uris as string[],
    ...(typeof name === 'string' ? { client_name: name.trim() } : {}),
  };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Addresses a metadata document may not be fetched from (SSRF): loopback, private, link-local, CGNAT. */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (v === 6) {
    const x = ip.toLowerCase();
    if (x.startsWith('::ffff:')) return isPrivateAddress(x.slice(7));
    return x === '::' || x === '::1' || /^f[cd]/.test(x) || /^fe[89ab]/.test(x) || x.startsWith('ff');
  }
  return true;
}

export class ClientRegistry {
  private readonly fixed: Map<string, Client>;
  private readonly key: Buffer;
  private readonly documents = new Map<string, { client: Client; until: number }>();

  constructor(
    private readonly cfg: IdpConfig,
    private readonly log: Logger,
  ) {
    this.fixed = registeredClients(cfg);
    // Derived from a secret every instance of this IDP shares, so each recognises the others' registrations.
    this.key = createHmac('sha256', cfg.API_CLIENT_SECRET)
      .update('msi-idp dynamic client registration v1')
      .digest();
  }

  /** The client `id` names, if it is one: configured, dynamically registered, or a metadata document. */
  async get(id: string): Promise<Client | undefined> {
    const fixed = this.fixed.get(id);
    if (fixed) return fixed;
    if (id.startsWith('dcr.')) return this.dynamic(id);
    if (id.startsWith('https://')) return this.fromDocument(id);
    return undefined;
  }

  /** RFC 7591 registration: the response body (201). Throws RegistrationError. */
  register(body: unknown): Record<string, unknown> {
    const md = checkMetadata(body, false);
    const issuedAt = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify({ n: md.client_name, r: md.redirect_uris, t: issuedAt });
    if (payload.length > MAX_DCR_METADATA) {
      throw new RegistrationError(
        'invalid_client_metadata',
        `the client metadata is too large to register (${payload.length} characters of name and redirect URIs, at most ${MAX_DCR_METADATA})`,
      );
    }
    const encoded = b64(payload);
    const clientId = `dcr.${encoded}.${b64(this.mac(encoded))}`;
    this.log.info({ name: md.client_name, redirects: md.redirect_uris }, 'client registered');
    return {
      client_id: clientId,
      client_id_issued_at: issuedAt,
      ...(md.client_name ? { client_name: md.client_name } : {}),
      redirect_uris: md.redirect_uris,
      grant_types: CODE_GRANTS,
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  private mac(encoded: string): Buffer {
    return createHmac('sha256', this.key).update(encoded).digest().subarray(0, 16);
  }

  private dynamic(id: string): Client | undefined {
    const [, encoded, mac] = id.split('.');
    if (!encoded || !mac || id.split('.').length !== 3) return undefined;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(encoded);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let parsed: { n?: string; r: string[] };
    try {
      parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      return undefined;
    }
    const name = parsed.n ?? 'An unnamed application';
    return publicClient(id, `${name} (registered by an application, not verified)`, parsed.r);
  }

  private async fromDocument(id: string): Promise<Client | undefined> {
    const cached = this.documents.get(id);
    if (cached && cached.until > Date.now()) return cached.client;
    try {
      const client = await this.fetchDocument(id);
      this.documents.set(id, { client, until: Date.now() + DOCUMENT_TTL_MS });
      if (this.documents.size > 1000) this.documents.delete(this.documents.keys().next().value!);
      return client;
    } catch (err) {
      this.log.warn({ clientId: id, err: (err as Error).message }, 'client metadata document refused');
      return undefined;
    }
  }

  private async fetchDocument(id: string): Promise<Client> {
    const url = new URL(id);
    if (url.protocol !== 'https:' || url.pathname === '/' || url.hash || url.username || url.password)
      throw new Error('a client id URL must be https with a path');
    if (!this.cfg.IDP_CLIENT_METADATA_PRIVATE_HOSTS) {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
      if (addresses.some(isPrivateAddress)) throw new Error(`${url.host} resolves to a private address`);
    }
    const res = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(DOCUMENT_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await readLimited(res, DOCUMENT_MAX_BYTES);
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (doc.client_id !== id)
      throw new Error(`its client_id is ${JSON.stringify(doc.client_id)}, not its URL`);
    const md = checkMetadata(doc, true);
    const name = md.client_name ?? url.host;
    return publicClient(id, `${name} (${url.host})`, md.redirect_uris);
  }
}

function publicClient(id: string, name: string, redirects: string[]): Client {
  return {
    id,
    name,
    grants: CODE_GRANTS,
    redirectUriOk: (uri) => redirectMatches(uri, redirects),
    trustedRedirect: () => false,
    postLogoutRedirectUriOk: (uri) => redirectMatches(uri, redirects),
    dynamic: true,
  };
}

async function readLimited(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`the document is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
