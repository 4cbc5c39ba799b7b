/**
 * The renderer as a person meets it (issue 6's figures): the initial bundle size of the production build,
 * and, with the offline provider on the real stack (`npm run stack`), the time from pressing Enter to the
 * first streamed character painted, as the app itself measures it (performance entry "msi:first-char",
 * taken in the frame after the first delta is rendered). Needs `npm run build` and Debian's Chromium.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/support/chromium.js';
import { waitForStackReady } from '../e2e/support/stack-file.js';
import { tempDataDir } from '../test/support/data-dir.js';
import { ROOT } from '../test/support/services.js';
import { figure, printFigures, summarize } from './lib.js';

const RUNS = 12;
const QUESTIONS = [
  'How do I roll back a firmware update?',
  'Show my open tickets',
  'What do the DS-8 bay LEDs mean?',
  'Who are the users of Dallas Police?',
];

function initialBundle(): { js: number; css: number } {
  const dir = join(ROOT, 'renderer', 'dist', 'renderer', 'browser');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const files = (re: RegExp) => [...html.matchAll(re)].map((m) => statSync(join(dir, m[1]!)).size);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    js: sum(files(/<script[^>]+src="([^"]+\.js)"/g)) + sum(files(/rel="modulepreload" href="([^"]+\.js)"/g)),
    css: sum(files(/rel="stylesheet" href="([^"]+\.css)"/g)),
  };
}

const bundle = initialBundle();
console.log(
  `initial bundle: ${(bundle.js / 1000).toFixed(1)} kB JavaScript, ${(bundle.css / 1000).toFixed(1)} kB CSS (raw)`,
);
figure('renderer.initial_js_kb', bundle.js / 1000, 'kB');

const { dir: dataDir, cleanup } = tempDataDir('msi-bench-renderer-');
const stack = spawn(
  process.execPath,
  [join(ROOT, 'main', 'dist', 'node', 'stack-cli.js'), '--data-dir', dataDir],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OPENAI_API_KEY: '' },
  },
);
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const info = await waitForStackReady(dataDir, {
    failed: () => (stack.exitCode !== null ? `the stack exited with ${stack.exitCode}` : undefined),
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(info.rendererUrl);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Username').fill('alex_agent');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const chat = page.getByTestId('chat');
  await chat.waitFor();
  const box = page.getByRole('textbox', { name: 'Message' });
  const samples: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    await page.waitForSelector('[data-testid="chat"][data-state="idle"]');
    await box.fill(QUESTIONS[i % QUESTIONS.length]!);
    await box.press('Enter');
    const ms = await page.waitForFunction((n) => {
      const m = performance.getEntriesByName('msi:first-char');
      return m.length > n ? m[n]!.duration : null;
    }, i);
    const value = (await ms.jsonValue()) as number;
    if (i > 0)
      samples.push(value); // the first turn also warms the API's caches (token exchange, tool lists)
    else console.log(`first turn (cold caches): ${value.toFixed(0)} ms`);
  }
  const s = summarize(samples);
  console.log(
    `Enter → first character painted, offline provider, ${s.n} turns: p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms`,
  );
  figure('renderer.enter_to_first_char_p50_ms', s.p50, 'ms');
  figure('renderer.enter_to_first_char_p95_ms', s.p95, 'ms');
} finally {
  await browser.close();
  stack.kill('SIGTERM');
  await new Promise((r) => stack.once('exit', r));
  cleanup();
}
printFigures();
