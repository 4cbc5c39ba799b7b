/**
 * Counts for the per-stage summary of `npm test` (scripts/test-all.mjs), read from each tool's own
 * closing lines: vitest (unit and the renderer's Angular runner), Playwright's list reporter, ESLint,
 * Prettier and tsc. Pure functions of the output text.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The output without colour codes. */
export function plain(text) {
  return text.replace(ANSI, '');
}

/** vitest's "Tests  3 failed | 120 passed | 2 skipped (125)" line (the last one, for several runs). */
export function vitestCounts(text) {
  const lines = plain(text)
    .split('\n')
    .filter((l) => /^\s*Tests\s+.*\(\d+\)\s*$/.test(l));
  if (!lines.length) return undefined;
  const counts = {};
  for (const line of lines)
    for (const [, n, what] of line.matchAll(/(\d+) (passed|failed|skipped|todo)/g))
      counts[what] = (counts[what] ?? 0) + Number(n);
  return counts;
}

/** Playwright's closing lines: "  12 passed (1.2m)", "  1 failed", "  3 skipped", "  1 flaky". */
export function playwrightCounts(text) {
  const counts = {};
  for (const line of plain(text).split('\n')) {
    const m = /^\s*(\d+) (passed|failed|skipped|flaky|did not run|interrupted)\b/.exec(line);
    if (m) counts[m[2]] = (counts[m[2]] ?? 0) + Number(m[1]);
  }
  return Object.keys(counts).length ? counts : undefined;
}

/** ESLint's "✖ 5 problems (3 errors, 2 warnings)"; none printed means none found. */
export function eslintCounts(text) {
  const m = /(\d+) problems? \((\d+) errors?, (\d+) warnings?\)/.exec(plain(text));
  return m ? { errors: Number(m[2]), warnings: Number(m[3]) } : { errors: 0, warnings: 0 };
}

/** Prettier --check: one "[warn] <file>" line per file that is not formatted. */
export function prettierCounts(text) {
  const files = plain(text)
    .split('\n')
    .filter((l) => /^\[warn\] (?!Code style issues)\S/.test(l));
  return { unformatted: files.length };
}

/** tsc (and the Angular compiler): "error TS2322:" / "✘ [ERROR]" lines. */
export function compilerCounts(text) {
  const t = plain(text);
  return { errors: (t.match(/error TS\d+:/g) ?? []).length + (t.match(/\[ERROR\]/g) ?? []).length };
}

/** "12 passed, 1 failed" from a counts object (zeros left out), or "" when there is nothing to say. */
export function describeCounts(counts) {
  if (!counts) return '';
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`)
    .join(', ');
}

/** "1 min 05 s" / "4.2 s". */
export function formatDuration(ms) {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * The tests that failed, by name, each with the first line of its error where the tool prints one:
 * vitest's "FAIL  project  file > suite > test" lines and the error line under each, Playwright's
 * list of failed (and flaky) tests under its closing counts. Repeats (a vitest failure printed twice)
 * once. So the summary at the end of a long run says which tests to look at.
 */
export function failedTests(text) {
  const lines = plain(text).split('\n');
  const found = new Map();
  for (let i = 0; i < lines.length; i++) {
    const v = /^\s*FAIL\s+(\S.*?)\s*$/.exec(lines[i]);
    if (v && v[1].includes(' > ')) {
      const name = v[1].replace(/\s{2,}/g, ' ');
      const error = lines.slice(i + 1, i + 6).find((l) => l.trim() && !/^[\s⎯-]+$/.test(l));
      if (!found.has(name)) found.set(name, error?.trim().slice(0, 200));
      continue;
    }
    if (/^\s*\d+ (failed|flaky)\s*$/.test(lines[i])) {
      for (let j = i + 1; j < lines.length && /^\s{4,}\[/.test(lines[j]); j++) {
        const name = lines[j].trim();
        if (!found.has(name)) found.set(name, undefined);
      }
    }
  }
  return [...found].map(([name, error]) => ({ name, error }));
}
