/**
 * The vector leg: one Chroma collection per embedder (named after it, with the embedder's id and
 * dimensions in its metadata), connected lazily and re-resolved after any failure, so a restarted
 * Chroma is picked up again. Embeddings are always passed explicitly; Chroma never embeds.
 */
import type { ChromaClient, Collection } from 'chromadb';
import type { Embedder } from './embedder.js';

/** Chroma could not be reached, did not answer in time or answered with an error: retry later, search
 *  without vectors. `timedOut`: it did not answer within the store's timeout (hung, not down). */
export class VectorStoreUnavailable extends Error {
  constructor(
    message: string,
    options?: { cause: unknown },
    readonly timedOut = false,
  ) {
    super(message, options);
    this.name = 'VectorStoreUnavailable';
  }
}

class ChromaTimeout extends Error {}

export interface VectorRecord {
  id: string;
  documentId: string;
  embedding: number[];
}

/** The chromadb client library is loaded when the knowledge base first talks to Chroma, not at start-up. */
let chromadb: Promise<typeof import('chromadb')> | undefined;
const loadChromadb = () => (chromadb ??= import('chromadb'));

export function collectionName(embedder: Pick<Embedder, 'id' | 'dimensions'>): string {
  const slug = embedder.id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `kb-${slug}-${embedder.dimensions}`.slice(0, 63);
}

export class VectorStore {
  private clientPromise: Promise<ChromaClient> | undefined;
  private collection: Promise<Collection> | undefined;

  constructor(
    readonly url: string,
    private readonly embedder: Pick<Embedder, 'id' | 'dimensions'>,
    /** Called when the collection did not exist and was created (first use, or Chroma lost its data). */
    private readonly onCreated: () => void = () => {},
    /** How long one request to Chroma may take before it counts as unavailable (ms). */
    readonly timeoutMs = 3000,
    /** Chroma's token (services/chroma's CHROMA_TOKEN), when it has one. */
    private readonly token?: string,
  ) {}

  /**
   * `p`, or a ChromaTimeout after timeoutMs: a hung Chroma (a stopped process still accepts connections)
   * must not hang a search. The client library takes no per-request signal, so its request is left to
   * end on its own.
   */
  private within<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ChromaTimeout(`no answer within ${this.timeoutMs / 1000} s`)),
        this.timeoutMs,
      );
    });
    p.catch(() => {}); // a request that fails after its timeout was already reported
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  private client(): Promise<ChromaClient> {
    this.clientPromise ??= loadChromadb().then(({ ChromaClient }) => {
      const u = new URL(this.url);
      return new ChromaClient({
        host: u.hostname,
        port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
        ssl: u.protocol === 'https:',
        ...(this.token ? { headers: { 'x-chroma-token': this.token } } : {}),
      });
    });
    this.clientPromise.catch(() => (this.clientPromise = undefined));
    return this.clientPromise;
  }

  readonly name = () => collectionName(this.embedder);

  /** Chroma answers a request that needs its token (a heartbeat alone would not prove the token right). */
  async heartbeat(): Promise<void> {
    await this.call('heartbeat', async () => (await this.client()).listCollections({ limit: 1 }));
  }

  /** Number of vectors in this embedder's collection. */
  async count(): Promise<number> {
    return this.withCollection('count', (c) => c.count());
  }

  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.withCollection('upsert', (c) =>
      c.upsert({
        ids: records.map((r) => r.id),
        embeddings: records.map((r) => r.embedding),
        metadatas: records.map((r) => ({ documentId: r.documentId })),
      }),
    );
  }

  async deleteDocument(documentId: string): Promise<void> {
    await this.withCollection('delete', (c) => c.delete({ where: { documentId } }));
  }

  /** Nearest chunk ids, best first. */
  async query(embedding: number[], n: number): Promise<string[]> {
    const r = await this.withCollection('query', (c) =>
      c.query({ queryEmbeddings: [embedding], nResults: n, include: [] }),
    );
    return r.ids[0] ?? [];
  }

  /** Forget the resolved collection (next call resolves it again). */
  reset(): void {
    this.collection = undefined;
  }

  private async withCollection<T>(what: string, fn: (c: Collection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.call('connect', () => (this.collection ??= this.open()));
      try {
        return await this.within(fn(c));
      } catch (err) {
        this.reset();
        // The collection vanished (Chroma restarted on a fresh data dir): resolve it once more.
        if (err instanceof (await loadChromadb()).ChromaNotFoundError && attempt === 0) continue;
        throw new VectorStoreUnavailable(
          `chroma ${what} failed at ${this.url}: ${(err as Error).message}`,
          { cause: err },
          err instanceof ChromaTimeout,
        );
      }
    }
  }

  private async open(): Promise<Collection> {
    const name = this.name();
    const metadata = { embedder: this.embedder.id, dimensions: this.embedder.dimensions };
    const [client, { ChromaNotFoundError }] = await Promise.all([this.client(), loadChromadb()]);
    let c: Collection;
    try {
      c = await client.getCollection({ name });
    } catch (err) {
      if (!(err instanceof ChromaNotFoundError)) throw err;
      c = await client.getOrCreateCollection({
        name,
        metadata,
        embeddingFunction: null,
        configuration: { hnsw: { space: 'cosine' } },
      });
      this.onCreated();
    }
    if (c.metadata?.embedder !== metadata.embedder || c.metadata?.dimensions !== metadata.dimensions) {
      throw new Error(
        `collection ${name} was made by ${String(c.metadata?.embedder)}/${String(c.metadata?.dimensions)}, not ${metadata.embedder}/${metadata.dimensions}`,
      );
    }
    // Best effort: a collection left behind now is removed on the next connection.
    await this.removeStaleCollections(name).catch(() => {});
    return c;
  }

  /**
   * Collections that an earlier embedder (another id or size) left behind: SQLite no longer points at
   * any of their vectors (documents are re-embedded when the embedder changes), so they are removed
   * when this embedder's collection is opened.
   * Only collections this module made are touched: named `kb-…` with an `embedder` in their metadata.
   */
  private async removeStaleCollections(current: string): Promise<void> {
    const client = await this.client();
    for (const c of await client.listCollections({ limit: 1000 })) {
      if (c.name === current || !c.name.startsWith('kb-') || typeof c.metadata?.embedder !== 'string')
        continue;
      await client.deleteCollection({ name: c.name });
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.within(fn());
    } catch (err) {
      if (what === 'connect') this.reset();
      if (err instanceof VectorStoreUnavailable) throw err;
      throw new VectorStoreUnavailable(
        `chroma ${what} failed at ${this.url}: ${(err as Error).message}`,
        { cause: err },
        err instanceof ChromaTimeout,
      );
    }
  }
}
