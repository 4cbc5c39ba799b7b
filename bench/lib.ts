/** Helpers every benchmark uses: timing, percentiles, and the one JSON line per figure. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    min: s[0] ?? NaN,
    max: s.at(-1) ?? NaN,
  };
}

const figures: { name: string; value: number; unit: string }[] = [];

/** Records a figure; printed as JSON lines by `printFigures()` after the human-readable lines. */
export function figure(name: string, value: number, unit: string): void {
  const v = Number.isInteger(value) ? value : Number(value.toFixed(3));
  figures.push({ name, value: v, unit });
  console.log(`  ${name}: ${v} ${unit}`);
}

/** Records `<name>_p50_ms` and `<name>_p95_ms` of latency samples in ms; returns their summary. */
export function latencyFigures(name: string, samples: number[]) {
  const s = summarize(samples);
  figure(`${name}_p50_ms`, s.p50, 'ms');
  figure(`${name}_p95_ms`, s.p95, 'ms');
  return s;
}

export function printFigures(): void {
  for (const f of figures.splice(0)) console.log(JSON.stringify(f));
}

/** Times `fn` `n` times (after `warmup` untimed runs); returns milliseconds per run. */
export async function timeMany(
  n: number,
  fn: (i: number) => Promise<unknown> | unknown,
  warmup = 0,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}
