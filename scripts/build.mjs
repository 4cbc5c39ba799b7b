#!/usr/bin/env node
/**
 * `npm run build`: the services and main (tsc -b), then the Angular renderer (ng build), each step
 * saying what it does before it starts (tsc is silent for a minute on a first build) and how long it took.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const win = process.platform === 'win32';
const steps = [
  [
    'the services and main (tsc -b; about a minute on a first build)',
    join(ROOT, 'node_modules', '.bin', win ? 'tsc.cmd' : 'tsc'),
    ['-b', 'tsconfig.build.json'],
  ],
  ['the renderer (ng build)', 'npm', ['run', 'build', '-w', 'renderer']],
];
for (const [what, cmd, args] of steps) {
  console.log(`build: ${what}…`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell: win });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
    process.exit(r.status || 1);
  }
  console.log(`build: ${what.replace(/ \(.*/, '')} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
