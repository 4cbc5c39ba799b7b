import { describe, expect, it } from 'vitest';
import {
  compilerCounts,
  describeCounts,
  eslintCounts,
  failedTests,
  formatDuration,
  playwrightCounts,
  prettierCounts,
  vitestCounts,
} from '../test-summary.mjs';

describe("the summary's counts, read from each tool's output", () => {
  it('vitest: the Tests line, colours and all, summed over runs', () => {
    const out =
      '\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m11 passed\u001b[39m\u001b[22m\u001b[90m (12)\u001b[39m\n' +
      ' Test Files  2 passed (2)\n      Tests  4 passed | 1 skipped (5)\n';
    expect(vitestCounts(out)).toEqual({ failed: 1, passed: 15, skipped: 1 });
    expect(vitestCounts('no tests ran')).toBeUndefined();
  });

  it("Playwright: the list reporter's closing lines", () => {
    const out =
      '  ✓  3 [web] › e2e/docs.spec.ts:5:1 › x (2.1s)\n\n  1 failed\n  2 flaky\n  9 skipped\n  20 passed (4.1m)\n';
    expect(playwrightCounts(out)).toEqual({ failed: 1, flaky: 2, skipped: 9, passed: 20 });
  });

  it('ESLint, Prettier and tsc', () => {
    expect(eslintCounts('✖ 5 problems (3 errors, 2 warnings)')).toEqual({ errors: 3, warnings: 2 });
    expect(eslintCounts('')).toEqual({ errors: 0, warnings: 0 });
    expect(
      prettierCounts(
        'Checking formatting...\n[warn] a.ts\n[warn] b.md\n[warn] Code style issues found in 2 files.',
      ),
    ).toEqual({ unformatted: 2 });
    expect(
      compilerCounts('src/a.ts(1,2): error TS2322: no\nsrc/b.ts(3,4): error TS2304: no\n✘ [ERROR] NG8001'),
    ).toEqual({
      errors: 3,
    });
  });

  it('says what there is, leaves out the zeros, and times in s or min', () => {
    expect(describeCounts({ passed: 3, failed: 0, skipped: 2 })).toBe('3 passed, 2 skipped');
    expect(describeCounts(undefined)).toBe('');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
  });

  it('names the failed tests: vitest with the first error line, once; Playwright failed and flaky', () => {
    const vitest =
      ' ❯  api  test/a.test.ts (2 tests | 1 failed) 9ms\n     × fails here 7ms\n\n' +
      '⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯\n\n \u001b[31mFAIL\u001b[39m   api  test/a.test.ts > suite > fails here\n' +
      'AssertionError: expected 1 to be 2 // Object.is equality\n\n- Expected\n' +
      ' FAIL   api  test/a.test.ts > suite > fails here\nAssertionError: again\n';
    expect(failedTests(vitest)).toEqual([
      {
        name: 'api test/a.test.ts > suite > fails here',
        error: 'AssertionError: expected 1 to be 2 // Object.is equality',
      },
    ]);
    const pw =
      '  1) [web] › e2e/a.spec.ts:3:1 › signs in ───\n\n  1 failed\n    [web] › e2e/a.spec.ts:3:1 › signs in \n' +
      '  1 flaky\n    [web] › e2e/b.spec.ts:9:1 › reloads \n  20 passed (4.1m)\n';
    expect(failedTests(pw).map((t) => t.name)).toEqual([
      '[web] › e2e/a.spec.ts:3:1 › signs in',
      '[web] › e2e/b.spec.ts:9:1 › reloads',
    ]);
    expect(failedTests('  3 passed (1.0s)\n')).toEqual([]);
  });
});
