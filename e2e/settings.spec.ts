/** Journey 8: remote endpoints that cannot be reached are named by the connection test, saving them asks
 *  first and signs out, the window takes the new addresses; back to local, chat works. */
import { freePort } from '@msi/kit';
import { test, expect } from './fixtures.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSignedIn, signIn } from './support/auth.js';
import { ask, toolCards } from './support/chat.js';
import { organization } from './support/db.js';
import { allReady, waitForStack, waitForStackReady } from './support/stack.js';

test('remote with unreachable URLs: the connection test names the failing endpoint; back to local, chat works', async ({
  app,
  stack,
}) => {
  // Ports nobody listens on: connections are refused.
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const apiUrl = `http://127.0.0.1:${await freePort()}`;
  await signIn(app, 'alex_agent');
  const nav = app.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Settings' }).click();
  await expect(app.getByRole('heading', { name: 'Settings' })).toBeVisible();

  await app.getByRole('radio', { name: /^Remote/ }).check();
  await app.getByLabel('Identity provider (issuer) URL').fill(issuer);
  await app.getByLabel('API URL').fill(apiUrl);
  await app.getByRole('button', { name: 'Test connection' }).click();
  const results = app.getByRole('list', { name: 'Connection test results' });
  const idpCheck = results.getByTestId('connection-check').filter({ hasText: 'Identity provider' });
  const apiCheck = results.getByTestId('connection-check').filter({ hasText: 'API' });
  await expect(idpCheck).toHaveAttribute('data-ok', 'false');
  await expect(idpCheck).toContainText(issuer);
  await expect(idpCheck).toContainText('Failed');
  await expect(apiCheck).toHaveAttribute('data-ok', 'false');
  await expect(apiCheck).toContainText(apiUrl);

  // Save remote: the page says first that it signs out, then asks because the test failed.
  await expect(app.getByTestId('mode-change-notice')).toContainText('signs you out');
  await app.getByRole('button', { name: 'Save and sign out' }).click();
  const confirm = app.getByRole('alertdialog');
  await expect(confirm).toContainText('The connection test failed');
  await expect(confirm).toContainText(issuer);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  expect(readSettingsMode(stack.dataDir)).toBe('local');
  await app.getByRole('button', { name: 'Save and sign out' }).click();
  await app.getByRole('alertdialog').getByRole('button', { name: 'Save anyway' }).click();

  // The window reloads on the new configuration: signed out, pointing at the remote issuer.
  await expect(app).toHaveURL(/\/sign-in\?switched=remote$/);
  await expect(app.getByTestId('mode-switched')).toContainText('Switched to Remote mode');
  await expect(app.getByText(`You sign in at ${issuer}`)).toBeVisible();
  const config = (await (await app.request.get('/config.json')).json()) as { issuer: string };
  expect(config.issuer).toBe(issuer);
  await waitForStack(stack.dataDir, (s) => !allReady(s) && s.services.api?.state !== 'ready', {
    timeoutMs: 60_000,
    what: 'the local services stopped in remote mode',
  });

  // Back to local: the window waits for the local services, reloads, and chat works after signing in.
  await app.getByRole('link', { name: 'Settings' }).click();
  await expect(app.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await app.getByRole('radio', { name: /^Local/ }).check();
  await expect(app.getByTestId('mode-change-notice')).toContainText('switches to Local mode');
  await app.getByRole('button', { name: 'Save and sign out' }).click();
  await expect(app).toHaveURL(/\/sign-in\?switched=local$/, { timeout: 180_000 });
  await expect(app.getByTestId('mode-switched')).toContainText('Switched to Local mode');
  await waitForStackReady(stack.dataDir, { timeoutMs: 180_000 });
  await expect(app.getByText(`You sign in at ${stack.url('idp')}`)).toBeVisible();

  // Signed out of the app; the identity provider may still know the person (then no password asked).
  await app.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(app.getByTestId('chat').or(app.getByLabel('Username')).first()).toBeVisible();
  await ensureSignedIn(app, 'alex_agent');
  const org = organization(stack.dataDir, 'dallas-police');
  const answer = await ask(app, `Show the open tickets of ${org.name}`);
  await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
});

function readSettingsMode(dataDir: string): string {
  const file = join(dataDir, 'settings.json');
  if (!existsSync(file)) return 'local';
  return (JSON.parse(readFileSync(file, 'utf8')) as { mode?: string }).mode ?? 'local';
}
