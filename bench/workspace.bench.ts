/**
 * The agent workspace (issue 14's figures): the initial JavaScript of the production build (the ticket
 * panel and org card are a deferred chunk, so it must stay ≤ 400 kB), and on the real stack (`npm run
 * stack`, offline provider) the click-to-panel time: from a click on a ticket number in an answer to the
 * ticket panel painted with the ticket, as the app measures it (performance entry "msi:click-to-panel",
 * taken in the frame after the ticket is rendered; it includes POST /api/tools/ticketing/get_ticket).
 * Needs `npm run build` and Debian's Chromium.
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

const CLICKS = 20;

function initialJs(): number {
  const dir = join(ROOT, 'renderer', 'dist', 'renderer', 'browser');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/rel="modulepreload" href="([^"]+\.js)"/g),
  ].map((m) => statSync(join(dir, m[1]!)).size);
  return files.reduce((a, b) => a + b, 0);
}

const js = initialJs() / 1000;
console.log(`initial JavaScript: ${js.toFixed(1)} kB (limit 400 kB)${js > 400 ? ' — OVER THE LIMIT' : ''}`);
figure('workspace.initial_js_kb', js, 'kB');

const { dir: dataDir, cleanup } = tempDataDir('msi-bench-workspace-');
const stack = spawn(
  process.execPath,
  [join(ROOT, 'main', 'dist', 'node', 'stack-cli.js'), '--data-dir', dataDir],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OPENAI_API_KEY: '' } },
);
const browser = await chromium.launch(chromiumLaunchOptions);
try {
  const info = await waitForStackReady(dataDir, {
    failed: () => (stack.exitCode !== null ? `the stack exited with ${stack.exitCode}` : undefined),
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(info.rendererUrl);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Username').fill('sam_supervisor');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('chat').waitFor();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('Show the open tickets of Dallas Police');
  await box.press('Enter');
  await page.waitForSelector('[data-testid="message"][data-role="assistant"][data-status="complete"]');
  const links = page.locator('.markdown a.ticket-ref');
  // The first rows (the rest are behind "Show all").
  const count = Math.min(await links.count(), 10);
  if (count < 2) throw new Error(`the answer has ${count} ticket links; expected a list`);

  const samples: number[] = [];
  for (let i = 0; i < CLICKS + 1; i++) {
    await links.nth(i % count).click();
    const ms = await page.waitForFunction((n) => {
      const m = performance.getEntriesByName('msi:click-to-panel');
      return m.length > n ? m[n]!.duration : null;
    }, i);
    const value = (await ms.jsonValue()) as number;
    // The first click also loads the panel's chunk and the person's tool list.
    if (i === 0) console.log(`first click (panel chunk, tool list): ${value.toFixed(0)} ms`);
    else samples.push(value);
  }
  const s = summarize(samples);
  console.log(
    `click on a ticket number → ticket panel painted, ${s.n} clicks: p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms`,
  );
  figure('workspace.click_to_panel_p50_ms', s.p50, 'ms');
  figure('workspace.click_to_panel_p95_ms', s.p95, 'ms');
} finally {
  await browser.close();
  stack.kill('SIGTERM');
  await new Promise((r) => stack.once('exit', r));
  cleanup();
}
printFigures();
