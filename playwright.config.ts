/**
 * End-to-end suite over the whole running app (see e2e/fixtures.ts). Two projects run the same specs:
 * `web` (the stack command + Debian's Chromium) and `electron` (the built Electron app; skipped where the
 * Electron binary is missing). A third, `topology`, runs the remote-deployment journeys against
 * `npm run topology` (nginx + PostgreSQL + Redis, three API instances) over https. One worker: the
 * stack is several processes and the CI machines have 2 cores.
 * Traces, screenshots and stack logs of failures go to e2e-artifacts/ (kept by CI).
 */
import { defineConfig } from '@playwright/test';
import type { Shell } from './e2e/fixtures.js';
import { chromiumLaunchOptions } from './e2e/support/chromium.js';

const CI = !!process.env.CI;
/** Journeys written against the topology's PostgreSQL databases. */
const TOPOLOGY_ONLY = ['**/topology.spec.ts'];

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
    { name: 'web', use: { shell: 'web' }, testIgnore: TOPOLOGY_ONLY },
    { name: 'electron', use: { shell: 'electron' }, testIgnore: TOPOLOGY_ONLY },
    // The production picture (npm run topology; docs/topology.md) over https through nginx, with the
    // journeys that mean something against a remote deployment: sign in, tickets, approve, sign out.
    // Specs that read SQLite files or drive the local host's status page stay in web/electron.
    {
      name: 'topology',
      use: { shell: 'topology', ignoreHTTPSErrors: true },
      testMatch: ['topology.spec.ts', 'sign-out.spec.ts'],
    },
  ],
});
