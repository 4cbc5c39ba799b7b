/**
 * End-to-end suite over the whole running app (see e2e/fixtures.ts). Two projects run the same specs:
 * `web` (the stack command + Debian's Chromium) and `electron` (the built Electron app; skipped where the
 * Electron binary is missing). One worker: the stack is several processes and the CI machines have 2 cores.
 * Traces, screenshots and stack logs of failures go to e2e-artifacts/ (kept by CI).
 */
import { defineConfig } from '@playwright/test';
import type { Shell } from './e2e/fixtures.js';
import { chromiumLaunchOptions } from './e2e/support/chromium.js';

const CI = !!process.env.CI;

export default defineConfig<{ shell: Shell }>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'e2e-artifacts/results',
  fullyParallel: false,
  workers: 1,
  retries: CI ? 1 : 0,
  forbidOnly: CI,
  // Generous for 2 shared cores: a turn runs tools through the real MCP servers and the IDP.
  timeout: 150_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['html', { outputFolder: 'e2e-artifacts/report', open: 'never' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    launchOptions: chromiumLaunchOptions,
  },
  projects: [
    { name: 'web', use: { shell: 'web' } },
    { name: 'electron', use: { shell: 'electron' } },
  ],
});
