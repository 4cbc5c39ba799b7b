/** The API's knowledge base and hybrid retrieval: the module's public surface. */
export { offlineEmbedder, openaiEmbedder, type Embedder } from './embedder.js';
export {
  createKnowledgeBase,
  type KnowledgeBase,
  type KnowledgeBaseOptions,
  type SearchOptions,
} from './knowledge-base.js';
export { registerKnowledgeRoutes } from './routes.js';
export { chunkDocument, type Chunk, type ChunkedDocument } from './chunker.js';
export { KnowledgeError, MAX_UPLOAD_BYTES } from './upload.js';
