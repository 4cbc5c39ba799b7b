#!/usr/bin/env node
/**
 * `npm test`: every stage in order — build, lint, typecheck, unit (+ integration), renderer, e2e — each
 * run even when an earlier one failed, its output streamed as it comes, then one summary line per
 * stage with its counts and wall time. Exits 1 when any stage failed. `node scripts/test-all.mjs unit
 * e2e` runs only the named stages (in the same order).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compilerCounts,
  describeCounts,
  failedTests,
  eslintCounts,
  formatDuration,
  playwrightCounts,
  prettierCounts,
  vitestCounts,
} from './test-summary.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

/** Each stage: what it does, its commands (run one after another, all of them), how to count. */
export const STAGES = [
  {
    name: 'build',
    what: 'compiling the services and main (tsc -b), then the Angular renderer (ng build)',
    steps: [
      [bin('tsc'), ['-b', 'tsconfig.build.json']],
      ['npm', ['run', 'build', '-w', 'renderer']],
    ],
    count: (out) => compilerCounts(out),
  },
  {
    name: 'lint',
    what: 'ESLint over the tree, then Prettier --check',
    steps: [
      [bin('eslint'), ['.']],
      [bin('prettier'), ['--check', '.']],
    ],
    count: (out) => ({ ...eslintCounts(out), ...prettierCounts(out) }),
  },
  {
    name: 'typecheck',
    what: 'tsc over the build projects and every test, bench and e2e file',
    steps: [
      [bin('tsc'), ['-b', 'tsconfig.build.json']],
      [bin('tsc'), ['-p', 'tsconfig.tests.json', '--noEmit']],
    ],
    count: (out) => compilerCounts(out),
  },
  {
    name: 'unit',
    what: 'vitest: unit and integration tests (they start the real, built services)',
    steps: [[bin('vitest'), ['run']]],
    count: (out) => vitestCounts(out),
  },
  {
    name: 'renderer',
    what: "the renderer's tests (Angular's unit-test runner)",
    steps: [['npm', ['test', '-w', 'renderer', '--', '--watch=false']]],
    count: (out) => vitestCounts(out),
  },
  {
    name: 'e2e',
    what: 'Playwright over the whole running app (web project; electron where the binary is)',
    steps: [[bin('playwright'), ['test']]],
    count: (out) => playwrightCounts(out),
  },
];

function run(cmd, args) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
      env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
    });
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.once('error', (err) => resolve({ code: 127, out: `${out}\n${err.message}` }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

async function main(wanted) {
  const unknown = wanted.filter((w) => !STAGES.some((s) => s.name === w));
  if (unknown.length) {
    console.error(
      `test: no stage named ${unknown.join(', ')} (stages: ${STAGES.map((s) => s.name).join(', ')})`,
    );
    return 64;
  }
  const stages = wanted.length ? STAGES.filter((s) => wanted.includes(s.name)) : STAGES;
  const results = [];
  const t0 = Date.now();
  for (const stage of stages) {
    console.log(`\n=== test: ${stage.name} — ${stage.what}`);
    const start = Date.now();
    let out = '';
    const failed = [];
    for (const [cmd, args] of stage.steps) {
      const r = await run(cmd, args);
      out += r.out;
      if (r.code !== 0) failed.push(`${cmd.split(/[\\/]/).pop()} ${args.join(' ')} exited ${r.code}`);
    }
    results.push({
      stage,
      ok: failed.length === 0,
      failed,
      counts: stage.count(out),
      tests: failedTests(out),
      ms: Date.now() - start,
    });
  }
  console.log('\n=== test: summary');
  for (const r of results) {
    const counts = describeCounts(r.counts);
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} ${r.stage.name.padEnd(9)} ${formatDuration(r.ms).padStart(12)}` +
        `${counts ? `  ${counts}` : ''}${r.ok ? '' : `  (${r.failed.join('; ')})`}`,
    );
    for (const t of r.tests.slice(0, 20))
      console.log(`       ✗ ${t.name}${t.error ? `\n           ${t.error}` : ''}`);
    if (r.tests.length > 20) console.log(`       … and ${r.tests.length - 20} more`);
  }
  const bad = results.filter((r) => !r.ok);
  console.log(
    `${bad.length ? `${bad.length} of ${results.length} stages failed` : `all ${results.length} stages passed`} in ${formatDuration(Date.now() - t0)}`,
  );
  return bad.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
