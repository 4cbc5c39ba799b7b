/** The /api/knowledge/* routes (contracts/src/api.ts). Auth is the caller's preHandler; errors are {error, message}. */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import type { Principal } from '@msi/kit';
import {
  API_ROUTES,
  type DocumentList,
  type KnowledgeDocument,
  type SearchResults,
} from '@msi/contracts/api';
import { may } from '@msi/contracts/roles';
import type { KnowledgeBase } from './knowledge-base.js';
import { DEFAULT_K, MAX_K } from './knowledge-base.js';
import { KnowledgeError, MAX_UPLOAD_BYTES } from './upload.js';

const MAX_QUERY_CHARS = 1000;

function fail(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.status(status).send({ error, message });
}

/**
 * The knowledge base is the product documentation everyone's answers cite, so only support staff change
 * it (contracts' CAN table, answered as `me.can`): agents add documents and remove uploaded ones;
 * supervisors and admins may also remove the built-in ones. Customers read and search it.
 */
export function mayChangeKnowledge(p: Principal | undefined, source?: KnowledgeDocument['source']): boolean {
  if (!p) return false;
  return may(p.roles, source === 'builtin' ? 'removeBuiltInDocs' : 'changeKnowledge');
}

const STAFF_ONLY = 'only support staff can change the knowledge base';

export function registerKnowledgeRoutes(
  app: FastifyInstance,
  kb: KnowledgeBase,
  opts: { preHandler: preHandlerHookHandler },
): void {
  const { preHandler } = opts;

  app.get(API_ROUTES.documents, { preHandler }, async (): Promise<DocumentList> => ({
    documents: await kb.list(),
  }));

  app.get<{ Params: { id: string } }>(API_ROUTES.document, { preHandler }, async (req, reply) => {
    const doc = await kb.get(req.params.id);
    return doc ?? fail(reply, 404, 'not_found', `no knowledge document ${req.params.id}`);
  });

  // JSON escaping can double the size of a text (newlines, quotes), so the body may exceed the content cap.
  app.post(
    API_ROUTES.documents,
    { preHandler, bodyLimit: 2 * MAX_UPLOAD_BYTES + 64 * 1024 },
    async (req, reply) => {
      if (!mayChangeKnowledge(req.principal)) return fail(reply, 403, 'forbidden', STAFF_ONLY);
      try {
        const { document, created, jobId } = await kb.add(
          req.body,
          req.principal?.username,
          req.principal?.sub,
        );
        // 202: the ingestion job runs in the background (GET /api/jobs/:jobId for its progress).
        return reply.status(created ? 202 : 200).send(jobId ? { ...document, jobId } : document);
      } catch (err) {
        if (err instanceof KnowledgeError) return fail(reply, err.status, err.code, err.message);
        throw err;
      }
    },
  );

  app.delete<{ Params: { id: string } }>(API_ROUTES.document, { preHandler }, async (req, reply) => {
    const doc = await kb.get(req.params.id);
    if (!doc) return fail(reply, 404, 'not_found', `no knowledge document ${req.params.id}`);
    if (!mayChangeKnowledge(req.principal, doc.source))
      return fail(
        reply,
        403,
        'forbidden',
        doc.source === 'builtin'
          ? 'only supervisors and admins can remove built-in documentation'
          : STAFF_ONLY,
      );
    if (!(await kb.remove(req.params.id)))
      return fail(reply, 404, 'not_found', `no knowledge document ${req.params.id}`);
    return reply.status(204).send();
  });

  app.get<{ Querystring: { q?: string; k?: string } }>(
    API_ROUTES.search,
    { preHandler },
    async (req, reply) => {
      const q = (req.query.q ?? '').trim();
      if (!q) return fail(reply, 400, 'invalid_request', 'q is required: the text to search for');
      if (q.length > MAX_QUERY_CHARS)
        return fail(reply, 400, 'invalid_request', `q is longer than ${MAX_QUERY_CHARS} characters`);
      const k = req.query.k === undefined || req.query.k === '' ? DEFAULT_K : Number(req.query.k);
      if (!Number.isInteger(k) || k < 1 || k > MAX_K)
        return fail(reply, 400, 'invalid_request', `k must be an integer from 1 to ${MAX_K}`);
      const { citations, note } = await kb.searchWithNote(q, k);
      const body: SearchResults = { results: citations, ...(note ? { note } : {}) };
      return body;
    },
  );

  app.get<{ Params: { id: string } }>(API_ROUTES.documentContent, { preHandler }, async (req, reply) => {
    const doc = await kb.content(req.params.id);
    return doc ?? fail(reply, 404, 'not_found', `no knowledge document ${req.params.id}`);
  });

  app.get<{ Params: { chunkId: string } }>(API_ROUTES.chunk, { preHandler }, async (req, reply) => {
    const p = await kb.passage(req.params.chunkId);
    return p ?? fail(reply, 404, 'not_found', `no passage ${req.params.chunkId}`);
  });
}
