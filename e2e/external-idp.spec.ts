/**
 * The journey "sign in, ask about my tickets, approve a change, sign out" on a third-party OpenID
 * provider (panva's oidc-provider 8, test/support/external-idp.ts), our own IDP not running: the back end
 * (both MCP servers, Chroma, the API) trusts that provider's issuer, claims and audiences, and the app runs
 * in Remote mode against it (`npm run stack -- --mode remote --issuer … --api-url …`). Everything the
 * person does goes through the provider's own pages: its login form, its sign-out confirmation.
 * Skipped in the electron project, on purpose: this spec starts its own stack in Remote mode against the
 * third-party provider and drives it in a browser, while the electron project's app is the desktop window
 * on the fixture's local stack (our own IDP), which cannot be pointed at another provider from here. The
 * desktop's Remote mode reads the same /config.json the browser does, so the web run covers it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { freePort } from '@msi/kit';
import { startExternalBackend, type ExternalBackend } from '../test/support/backend.js';
import { STACK_CLI } from './fixtures.js';
import { captureTokens, signIn } from './support/auth.js';
import { ask, chatView, toolCards } from './support/chat.js';
import { ticketsTitled } from './support/db.js';
import { waitForStack } from './support/stack-file.js';

const PERSON = 'james_smith';

let backend: ExternalBackend;
let stack: ChildProcess | undefined;
let stackDir: string;
let rendererUrl: string;
let stackOutput = '';

test.describe.configure({ mode: 'serial' });
test.beforeAll(async ({ browserName }, info) => {
  // Web project only: this spec starts its own stack in Remote mode against the third-party provider and
  // drives it in a browser. The electron project's app is the desktop window on the fixture's local stack
  // (our own IDP), which cannot be pointed at another provider from here; the desktop's Remote mode
  // reads the same /config.json the browser does.
  test.skip(info.project.name !== 'web', `browser project only (${browserName} in web)`);
  test.setTimeout(240_000);
  const hostPort = await freePort();
  const origin = `http://127.0.0.1:${hostPort}`;
  backend = await startExternalBackend({ rendererOrigins: [origin] });
  stackDir = mkdtempSync(join(tmpdir(), 'msi-e2e-external-'));
  stack = spawn(
    process.execPath,
    [
      STACK_CLI,
      '--data-dir',
      stackDir,
      '--mode',
      'remote',
      '--issuer',
      backend.idp.issuer,
      '--api-url',
      backend.api.url,
      '--port',
      String(hostPort),
    ],
    { env: { ...process.env, MSI_DATA_DIR: stackDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  stack.stdout!.on('data', (d) => (stackOutput += d));
  stack.stderr!.on('data', (d) => (stackOutput += d));
  const info2 = await waitForStack(stackDir, (s) => s.mode === 'remote' && !!s.rendererUrl, {
    timeoutMs: 60_000,
    what: 'the renderer URL in remote mode',
    failed: () =>
      stack?.exitCode != null ? `the stack exited ${stack.exitCode}: ${stackOutput}` : undefined,
  });
  rendererUrl = info2.rendererUrl.replace(/\/+$/, '');
  expect(rendererUrl).toBe(origin);
});

test.afterAll(async () => {
  if (stack && stack.exitCode === null) {
    const exited = new Promise((r) => stack!.once('exit', r));
    stack.kill('SIGTERM');
    await exited;
  }
  await backend?.stop();
  if (stackDir) rmSync(stackDir, { recursive: true, force: true });
});

test('sign in, ask about my tickets, approve a change, sign out — on a third-party OpenID provider', async ({
  page,
}) => {
  const tokens = captureTokens(page);
  await page.goto(`${rendererUrl}/`);

  // Sign in: the provider's own login page (its origin, not ours), then back in the app as the person.
  const login = page.waitForURL(
    (u) => u.origin === backend.idp.issuer && u.pathname.startsWith('/interaction/'),
  );
  const signedIn = signIn(page, PERSON);
  await login;
  await signedIn;
  expect(new URL(page.url()).origin).toBe(rendererUrl);
  expect(tokens.tokenEndpoint()).toBe(`${backend.idp.issuer}/token`);

  // Ask about my tickets: answered from the ticketing server with the person's own rights.
  const answer = await ask(page, 'Show my open tickets');
  await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
  await expect(answer.locator('.markdown')).toContainText('ticket');

  // Approve a change: nothing is written before the decision, exactly that ticket after it.
  const title = `Console freezes after the night update ${Date.now()}`;
  await ask(page, `Create a ticket: ${title}`, 'awaiting-approval');
  const dialog = page.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog).toContainText('create_ticket');
  await expect(dialog).toContainText(title);
  expect(ticketsTitled(backend.dataDir, title)).toEqual([]);
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(dialog).toBeHidden();
  await expect(chatView(page)).toHaveAttribute('data-state', 'idle');
  const rows = ticketsTitled(backend.dataDir, title);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ reporter: PERSON, org: 'dallas-police', status: 'open' });

  // Sign out: the provider asks to confirm (its RP-initiated logout page), then the app's sign-in page.
  const refreshToken = tokens.latestRefreshToken();
  expect(refreshToken).toBeTruthy();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(`${rendererUrl}/auth/signed-out`);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(chatView(page)).toHaveCount(0);

  // The refresh token was revoked at the provider.
  const refused = await fetch(`${backend.idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken!,
      client_id: 'msi-desktop',
    }),
  });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
});
