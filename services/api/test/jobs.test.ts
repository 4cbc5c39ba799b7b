/**
 * Ingestion as jobs, with the real processes: an API that only enqueues (REDIS_URL, API_WORKERS=0) and
 * a separate worker process (API_MODE=worker) on the same database and a real Redis (BullMQ, a prefix of
 * this file's own); progress seen as BullMQ events, the document searchable after; a job whose embedder
 * keeps failing retries with backoff and then fails with its reason, shown on the job and the document;
 * someone else's job is "not found". Knowledge searches are cached in Redis under a generation that an
 * upload or a removal bumps. Then the same without Redis: the in-process queue of one API process.
 * On SQLite and PostgreSQL (test/support/database.ts backends()).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@msi/kit';
import type { JobStatus, KnowledgeDocument, SearchResults } from '../src/contract.js';
import { createBullQueue } from '../src/jobs/bullmq-queue.js';
import type { JobEvent, JobQueue } from '../src/jobs/queue.js';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { backends } from '../../../test/support/database.js';
import type { RunningService } from '../../../test/support/services.js';

const REDIS_URL = process.env.MSI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RETRY = { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '150' };

/** A manual of `n` sections: enough chunks for several embedding batches (32 chunks each). */
function manual(topic: string, n: number): string {
  const sections = Array.from(
    { length: n },
    (_, i) =>
      `## ${topic} step ${i + 1}\n\nTo complete ${topic} step ${i + 1}, open the console, select unit ${i + 1} ` +
      `and confirm the ${topic} checklist item ${i + 1}; the indicator turns green when it is done.\n`,
  );
  return `# ${topic} manual\n\n${sections.join('\n')}`;
}

/** The same API port of a document's job status until `done` says so (the renderer polls it too). */
async function until<T>(what: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects a queue's events; `waitFor` resolves on the first one that matches (or has matched). */
function recorder(queue: JobQueue) {
  const seen: JobEvent[] = [];
  const waiters: Array<{ match: (e: JobEvent) => boolean; resolve: (e: JobEvent) => void }> = [];
  const off = queue.on((e) => {
    seen.push(e);
    for (const w of waiters.filter((w) => w.match(e))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  return {
    seen,
    off,
    waitFor(match: (e: JobEvent) => boolean, ms = 60_000): Promise<JobEvent> {
      const hit = seen.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no such job event in ${ms} ms`)), ms);
        waiters.push({ match, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

describe.each(backends())('background jobs on Redis with a worker process (%s)', (backend) => {
  const prefix = `msi-test-jobs-${randomBytes(4).toString('hex')}:`;
  let stack: Backend;
  let worker: RunningService;
  let redis: Redis;
  let events: JobQueue;
  let agent: string;
  let docsDir: string;
  const redisEnv = { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...RETRY };

  /** A worker process on the back end's API database (its SQLite file, or its PostgreSQL database). */
  const startWorker = (env: Record<string, string> = {}) =>
    stack.startApi({
      ...redisEnv,
      API_MODE: 'worker',
      KNOWLEDGE_DOCS_DIR: docsDir,
      ...(stack.databaseUrls.api
        ? { DATABASE_URL: stack.databaseUrls.api }
        : { MSI_DATA_DIR: stack.dataDir }),
      ...env,
    });

  beforeAll(async () => {
    const dir = join(process.env.TMPDIR ?? '/tmp', `msi-jobs-docs-${randomBytes(4).toString('hex')}`);
    docsDir = dir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'docking.md'), manual('docking', 3));
    stack = await startBackend({
      postgres: backend === 'postgres',
      apiEnv: { ...redisEnv, API_WORKERS: '0', KNOWLEDGE_DOCS_DIR: dir },
    });
    redis = new Redis(REDIS_URL);
    events = createBullQueue({
      url: REDIS_URL,
      prefix: `${prefix}jobs`,
      log: createLogger('test', 'warn'),
    });
    worker = await startWorker();
    agent = await stack.login('alex_agent');
  });
  afterAll(async () => {
    await events?.close();
    await stack?.stop();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const api = (token: string, method: string, path: string, body?: unknown) =>
    call<Record<string, unknown>>(stack.api.url, token, method, path, body);

  it('an upload is 202 with a job the worker process runs; progress is seen; the document is searchable', async () => {
    const rec = recorder(events);
    const up = await api(agent, 'POST', '/api/knowledge/documents', {
      filename: 'calibration.md',
      content: manual('calibration', 80),
    });
    expect(up.status).toBe(202);
    const doc = up.body as unknown as KnowledgeDocument;
    expect(doc).toMatchObject({ status: 'queued', jobId: expect.any(String) });

    await rec.waitFor((e) => e.id === doc.jobId && e.type === 'completed');
    const progress = rec.seen.filter((e) => e.id === doc.jobId && e.type === 'progress');
    // 80+ chunks in batches of 32: the start and each batch, done counting up to the total.
    expect(progress.length).toBeGreaterThanOrEqual(4);
    const dones = progress.map((e) => e.progress!.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(progress.at(-1)!.progress).toEqual({ done: doc.chunksTotal, total: doc.chunksTotal });
    rec.off();

    const job = await api(agent, 'GET', `/api/jobs/${doc.jobId}`);
    expect(job.status).toBe(200);
    expect(job.body as unknown as JobStatus).toMatchObject({
      id: doc.jobId,
      kind: 'ingest',
      state: 'completed',
      documentId: doc.id,
      progress: { done: doc.chunksTotal, total: doc.chunksTotal },
      attemptsMade: 0,
      attempts: 3,
    });
    expect(job.body).not.toHaveProperty('owner');
    expect((await api(agent, 'GET', `/api/knowledge/documents/${doc.id}`)).body).toMatchObject({
      status: 'ready',
      chunksDone: doc.chunksTotal,
    });
    const found = await api(agent, 'GET', '/api/knowledge/search?q=calibration%20step%2042%20indicator&k=3');
    expect((found.body as unknown as SearchResults).results[0]).toMatchObject({ documentId: doc.id });
    // The worker did it: this API does not take jobs. The worker serves its health, not the API.
    expect(worker.output()).not.toMatch(/error/i);
    const ready = await fetch(`${worker.url}/readyz`);
    const checks = ((await ready.json()) as { checks: Record<string, { ok: boolean; detail: string }> })
      .checks;
    expect(ready.status).toBe(200);
    expect(checks.jobs).toMatchObject({ ok: true, detail: expect.stringMatching(/this process works$/) });
    expect(checks.redis?.ok).toBe(true);
    expect((await fetch(`${worker.url}/api/knowledge/documents`)).status).toBe(404);

    // Someone else's job, and one that does not exist, read the same: not found.
    for (const who of ['riley_agent', 'james_smith', 'sam_supervisor']) {
      const other = await api(await stack.login(who), 'GET', `/api/jobs/${doc.jobId}`);
      expect(other).toMatchObject({ status: 404, body: { error: 'not_found' } });
    }
    expect((await api(agent, 'GET', '/api/jobs/999999')).status).toBe(404);
  });

  it('caches searches in Redis under a generation that uploads and removals bump', async () => {
    const gen = async () => Number((await redis.get(`${prefix}kb:gen`)) ?? 0);
    const cached = async () => (await redis.keys(`${prefix}kb:search:${await gen()}:*`)).length;
    const q = '/api/knowledge/search?q=docking%20checklist%20indicator&k=4';
    const n0 = await cached(); // earlier tests' searches, under this same generation
    const first = await api(agent, 'GET', q);
    expect(first.status).toBe(200);
    expect(await cached()).toBe(n0 + 1);
    // A person of another role and organization asks the same: the same answer (everyone may read the
    // whole knowledge base), from the same entry; nothing person-specific is in it.
    const customer = await stack.login('james_smith');
    expect((await api(customer, 'GET', q)).body).toEqual(first.body);
    expect(await cached()).toBe(n0 + 1);

    const before = await gen();
    const up = await api(agent, 'POST', '/api/knowledge/documents', {
      filename: 'docking-extra.md',
      content: manual('docking extra', 5),
    });
    expect(up.status).toBe(202);
    expect(await gen()).toBeGreaterThan(before);
    expect(await cached()).toBe(0); // nothing cached under the new generation yet
    const id = (up.body as unknown as KnowledgeDocument).id;
    await until(
      () => api(agent, 'GET', `/api/knowledge/documents/${id}`),
      (r) => r.body.status === 'ready',
    );
    const after = await api(agent, 'GET', q);
    expect((after.body as unknown as SearchResults).results.some((r) => r.documentId === id)).toBe(true);

    const g = await gen();
    expect((await api(agent, 'DELETE', `/api/knowledge/documents/${id}`)).status).toBe(204);
    expect(await gen()).toBeGreaterThan(g);
    const gone = await api(customer, 'GET', q);
    expect((gone.body as unknown as SearchResults).results.some((r) => r.documentId === id)).toBe(false);
  });

  it("shares each person's tool list in Redis under a key of their own; another person never gets it", async () => {
    const keys = async () => new Set(await redis.keys(`${prefix}tools:*`));
    const names = (r: { body: Record<string, unknown> }) =>
      (r.body.tools as Array<{ name: string }>).map((t) => t.name).sort();
    const before = await keys();
    const agentNames = names(await api(agent, 'GET', '/api/tools'));
    const afterAgent = await keys();
    const agentEntries = [...afterAgent].filter((k) => !before.has(k));
    expect(agentEntries.length).toBe(2); // one per MCP server
    const customer = await stack.login('james_smith');
    const customerNames = names(await api(customer, 'GET', '/api/tools'));
    const customerEntries = [...(await keys())].filter((k) => !afterAgent.has(k));
    expect(customerEntries.length).toBe(2);
    // Each person's entries hold that person's own lists (the servers' tools/list as them), no other's.
    const cached = async (entries: string[]) =>
      (
        await Promise.all(
          entries.map(async (k) => JSON.parse((await redis.get(k))!) as Array<{ name: string }>),
        )
      )
        .flat()
        .map((t) => t.name)
        .sort();
    const forAgent = await cached(agentEntries);
    const forCustomer = await cached(customerEntries);
    expect(forAgent.length).toBeGreaterThan(0);
    expect(forAgent.every((n) => agentNames.includes(n))).toBe(true);
    expect(forCustomer.every((n) => customerNames.includes(n))).toBe(true);
    expect(customerEntries.some((k) => agentEntries.includes(k))).toBe(false);
    // Asked again, the same lists: nothing new written.
    expect(names(await api(customer, 'GET', '/api/tools'))).toEqual(customerNames);
    expect((await keys()).size).toBe(afterAgent.size + 2);
  });

  it('a job whose embedder keeps failing retries with backoff, then fails with its reason', async () => {
    await worker.stop();
    // A worker whose embedding model answers 404 (the ticketing server has no /v1/embeddings).
    const broken = await startWorker({
      EMBEDDING_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test-not-a-key',
      OPENAI_BASE_URL: `${stack.ticketing.url}/v1`,
    });
    const rec = recorder(events);
    const up = await api(agent, 'POST', '/api/knowledge/documents', {
      filename: 'broken.md',
      content: manual('broken', 4),
    });
    expect(up.status).toBe(202);
    const { jobId, id } = up.body as unknown as KnowledgeDocument;

    const retrying = await rec.waitFor((e) => e.id === jobId && e.type === 'retrying');
    expect(retrying.error).toMatch(/404/);
    const failed = await rec.waitFor((e) => e.id === jobId && e.type === 'failed');
    expect(failed.error).toMatch(/^embedding failed 3 times: 404/);
    rec.off();
    expect(rec.seen.filter((e) => e.id === jobId && e.type === 'retrying')).toHaveLength(2);

    const job = (await api(agent, 'GET', `/api/jobs/${jobId}`)).body as unknown as JobStatus;
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 3, attempts: 3, error: failed.error });
    // Backoff: the three attempts took at least 150 + 300 ms.
    expect(Date.parse(job.finishedAt!) - Date.parse(job.createdAt)).toBeGreaterThanOrEqual(450);
    expect((await api(agent, 'GET', `/api/knowledge/documents/${id}`)).body).toMatchObject({
      status: 'failed',
      error: failed.error,
    });
    await broken.stop();
  });
});

describe.each(backends())('background jobs in-process, without Redis (%s)', (backend) => {
  let stack: Backend;
  let agent: string;

  beforeAll(async () => {
    stack = await startBackend({ postgres: backend === 'postgres', apiEnv: RETRY });
    agent = await stack.login('alex_agent');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs the upload as a job in the API process: progress, then searchable', async () => {
    const up = await call<KnowledgeDocument>(stack.api.url, agent, 'POST', '/api/knowledge/documents', {
      filename: 'calibration.md',
      content: manual('calibration', 40),
    });
    expect(up.status).toBe(202);
    const job = await until(
      async () => (await call<JobStatus>(stack.api.url, agent, 'GET', `/api/jobs/${up.body.jobId}`)).body,
      (j) => j.state === 'completed' || j.state === 'failed',
    );
    expect(job).toMatchObject({
      kind: 'ingest',
      state: 'completed',
      documentId: up.body.id,
      progress: { done: up.body.chunksTotal, total: up.body.chunksTotal },
    });
    const found = await call<SearchResults>(
      stack.api.url,
      agent,
      'GET',
      '/api/knowledge/search?q=calibration%20step%2031%20indicator&k=3',
    );
    expect(found.body.results[0]).toMatchObject({ documentId: up.body.id });
    const other = await call(
      stack.api.url,
      await stack.login('riley_agent'),
      'GET',
      `/api/jobs/${up.body.jobId}`,
    );
    expect(other.status).toBe(404);
  });

  it('retries a failing job with backoff, then fails with its reason', async () => {
    const empty = join(stack.dataDir, 'no-docs');
    mkdirSync(empty, { recursive: true });
    const api = await stack.startApi({
      ...RETRY,
      KNOWLEDGE_DOCS_DIR: empty,
      EMBEDDING_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test-not-a-key',
      OPENAI_BASE_URL: `${stack.ticketing.url}/v1`,
    });
    const up = await call<KnowledgeDocument>(api.url, agent, 'POST', '/api/knowledge/documents', {
      filename: 'broken.md',
      content: manual('broken', 3),
    });
    expect(up.status).toBe(202);
    const get = async () => (await call<JobStatus>(api.url, agent, 'GET', `/api/jobs/${up.body.jobId}`)).body;
    const retrying = await until(get, (j) => j.state === 'retrying' || j.state === 'failed');
    expect(retrying).toMatchObject({ state: 'retrying', error: expect.stringMatching(/404/) });
    const failed = await until(get, (j) => j.state === 'failed');
    expect(failed).toMatchObject({
      attemptsMade: 3,
      error: expect.stringMatching(/^embedding failed 3 times: 404/),
    });
    const doc = await call<KnowledgeDocument>(
      api.url,
      agent,
      'GET',
      `/api/knowledge/documents/${up.body.id}`,
    );
    expect(doc.body).toMatchObject({ status: 'failed', error: failed.error });
  });
});
