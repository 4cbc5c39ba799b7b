/**
 * The API as the system of record: a real access token (signed in through the IDP's own login form, with
 * test/support/idp.ts) and plain HTTP calls, to check what the app shows against what the API stores.
 */
import {
  API_ROUTES,
  apiPath,
  type ConversationDetail,
  type DocumentList,
  type KnowledgeDocument,
  type Passage,
} from '@msi/contracts/api';
import { loginWithPassword } from '../../test/support/idp.js';
import { readStack, serviceUrl } from './stack.js';

export class ApiClient {
  constructor(
    readonly apiUrl: string,
    private readonly token: string,
  ) {}

  /** Signs `username` in at the stack's IDP (password `demo`) and returns a client for the stack's API. */
  static async signIn(dataDir: string, username: string): Promise<ApiClient> {
    const issuer = serviceUrl(dataDir, 'idp');
    // As the app does: the code comes back to the renderer's own origin (any other needs consent).
    const renderer = readStack(dataDir)?.rendererUrl;
    if (!renderer) throw new Error(`no renderer URL in ${dataDir}/stack.json`);
    const tokens = await loginWithPassword(issuer, username, 'demo', {
      redirectUri: `${new URL(renderer).origin}/auth/callback`,
    });
    return new ApiClient(serviceUrl(dataDir, 'api'), tokens.access_token);
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async json<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The conversation, or undefined when the API says it does not exist (404). */
  async conversation(id: string): Promise<ConversationDetail | undefined> {
    const res = await this.request('GET', apiPath(API_ROUTES.conversation, { id }));
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET conversation ${id}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as ConversationDetail;
  }

  async documents(): Promise<KnowledgeDocument[]> {
    return (await this.json<DocumentList>(API_ROUTES.documents)).documents;
  }

  passage(chunkId: string): Promise<Passage> {
    return this.json<Passage>(apiPath(API_ROUTES.chunk, { chunkId }));
  }
}

/** The conversation id in a renderer URL (`…/c/<id>`). */
export function conversationIdOf(url: string): string {
  const m = /\/c\/([^/?#]+)/.exec(new URL(url).pathname);
  if (!m) throw new Error(`no conversation id in ${url}`);
  return decodeURIComponent(m[1]!);
}

/** Waits until the API reports every knowledge document ingested (the built-in docs ingest on first start). */
export async function waitForKnowledgeReady(
  api: ApiClient,
  timeoutMs = 120_000,
): Promise<KnowledgeDocument[]> {
  const deadline = Date.now() + timeoutMs;
  let docs: KnowledgeDocument[] = [];
  for (;;) {
    docs = await api.documents();
    if (docs.length && docs.every((d) => d.status === 'ready' || d.status === 'failed')) return docs;
    if (Date.now() > deadline)
      throw new Error(
        `knowledge base not ingested within ${timeoutMs} ms: ${docs.map((d) => `${d.filename}=${d.status}`).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
