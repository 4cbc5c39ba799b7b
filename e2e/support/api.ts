/**
 * The API as the system of record: a real access token (signed in through the IDP's own login form, with
 * test/support/idp.ts) and the shared client's plain HTTP calls, to check what the app shows against what
 * the API stores.
 */
import type { KnowledgeDocument } from '@msi/contracts/api';
import { ApiClient as PersonApiClient } from '../../test/support/api-client.js';
import { loginWithPassword } from '../../test/support/idp.js';
import { readStack, serviceUrl } from './stack-file.js';

/** The shared API client (test/support/api-client.ts), signed in at the stack of a data dir. */
export class ApiClient extends PersonApiClient {
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
