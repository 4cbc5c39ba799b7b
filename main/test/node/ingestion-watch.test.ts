import { describe, expect, it } from 'vitest';
import { parseKnowledgeCounts } from '../../src/node/ingestion-watch.js';

describe("the API's knowledge counts", () => {
  it("reads them from /readyz's chroma check, reachable or not", () => {
    expect(
      parseKnowledgeCounts(
        'chroma reachable at http://127.0.0.1:8001; 3 documents ready, 9 ingesting, 1 failed',
      ),
    ).toEqual({ ready: 3, ingesting: 9, failed: 1 });
    expect(
      parseKnowledgeCounts(
        'chroma unreachable at http://127.0.0.1:8001 (fetch failed); search uses full-text only; 0 documents ready, 12 ingesting, 0 failed',
      ),
    ).toEqual({ ready: 0, ingesting: 12, failed: 0 });
    expect(parseKnowledgeCounts('ok')).toBeUndefined();
    expect(parseKnowledgeCounts(undefined)).toBeUndefined();
  });
});
