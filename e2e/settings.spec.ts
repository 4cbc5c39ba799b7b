/** Journey 8: remote endpoints that cannot be reached are named by the connection test; back to local, chat works. */
import { freePort } from '@msi/kit';
import { test, expect } from './fixtures.js';
import { ensureSignedIn, signIn } from './support/auth.js';
import { ask, toolCards } from './support/chat.js';
import { organization } from './support/db.js';
import { allReady, waitForStack, waitForStackReady } from './support/stack-file.js';

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

  // Save remote: the local services stop (the host stays to serve the app).
  await app.getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await waitForStack(stack.dataDir, (s) => !allReady(s) && s.services.api?.state !== 'ready', {
    timeoutMs: 60_000,
    what: 'the local services stopped in remote mode',
  });

  // Back to local: the services start again and chat works.
  await app.goto('/settings');
  await expect(app.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await app.getByRole('radio', { name: /^Local/ }).check();
  await app.getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await waitForStackReady(stack.dataDir, { timeoutMs: 180_000 });

  await app.goto('/');
  await ensureSignedIn(app, 'alex_agent');
  const org = organization(stack.dataDir, 'dallas-police');
  const answer = await ask(app, `Show the open tickets of ${org.name}`);
  await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
});
