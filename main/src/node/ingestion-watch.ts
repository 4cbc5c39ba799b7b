/**
 * First start's long step, said as it goes: the API ingests the built-in documentation in the
 * background, and `npm run stack` prints how far it is, read from the API's /readyz (its Chroma check
 * counts the knowledge base's documents). Silent when there is nothing to ingest (a used data dir).
 */
export interface KnowledgeCounts {
  ready: number;
  ingesting: number;
  failed: number;
}

/** The counts in the API's knowledge check: "…; 3 documents ready, 9 ingesting, 0 failed". */
export function parseKnowledgeCounts(detail: string | undefined): KnowledgeCounts | undefined {
  const m = detail && /(\d+) documents ready, (\d+) ingesting, (\d+) failed/.exec(detail);
  return m ? { ready: Number(m[1]), ingesting: Number(m[2]), failed: Number(m[3]) } : undefined;
}

async function knowledgeCounts(apiUrl: string): Promise<KnowledgeCounts | undefined> {
  try {
    const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { checks?: Record<string, { detail?: string }> };
    return parseKnowledgeCounts(body.checks?.chroma?.detail);
  } catch {
    return undefined;
  }
}

/**
 * Polls until nothing is left to ingest (or `timeoutMs`), saying each change of the counts once
 * ingestion was seen running. Resolves with the last counts.
 */
export async function watchIngestion(
  apiUrl: string,
  say: (line: string) => void,
  /** firstStart: a fresh data dir, so the outcome is said even when ingestion was done before the first look. */
  opts: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal; firstStart?: boolean } = {},
): Promise<KnowledgeCounts | undefined> {
  const interval = opts.intervalMs ?? 1000;
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  const t0 = Date.now();
  let seenRunning = !!opts.firstStart;
  let empty = 0;
  let last = '';
  let counts: KnowledgeCounts | undefined;
  while (!opts.signal?.aborted && Date.now() < deadline) {
    counts = await knowledgeCounts(apiUrl);
    if (counts) {
      const total = counts.ready + counts.ingesting + counts.failed;
      if (counts.ingesting > 0) {
        seenRunning = true;
        const line = `stack: ingesting the built-in documentation: ${counts.ready} of ${total} documents ready…`;
        if (line !== last) say(line);
        last = line;
      } else if (total > 0 || ++empty > 10) {
        if (seenRunning)
          say(
            `stack: documentation ingested: ${counts.ready} documents ready${counts.failed ? `, ${counts.failed} failed (see the knowledge page)` : ''} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
          );
        return counts;
      }
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  return counts;
}
