/** Journey 7: the status page restarts a service (and sees one that was killed come back); chat still works. */
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { signIn } from './support/auth.js';
import { ask, newChat, toolCards } from './support/chat.js';
import { organization } from './support/db.js';
import { isAlive } from '../test/support/services.js';
import { waitForStack, type ServiceName } from './support/stack-file.js';

/** Records every `data-state` the status page shows for one service, and every label of its Restart
 *  button (a MutationObserver in the page), so a short-lived state is not missed between two polls. */
async function recordStates(page: Page, name: ServiceName) {
  const key = `__e2eStates_${name}`;
  // A string, so this runs in the page (no DOM types in the test project).
  await page.evaluate(`(() => {
    const seen = (window[${JSON.stringify(key)}] = { states: [], labels: [] });
    const push = (list, v) => { if (list[list.length - 1] !== v) list.push(v); };
    const note = () => {
      const el = document.querySelector('[data-testid="service"][data-service="${name}"]');
      push(seen.states, el ? el.getAttribute('data-state') : 'absent');
      const button = el && el.querySelector('button[aria-label="Restart ${name}"]');
      push(seen.labels, button ? button.textContent.trim() : 'absent');
    };
    note();
    new MutationObserver(note).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true,
    });
  })()`);
  const read = () => page.evaluate<{ states: string[]; labels: string[] }>(`window[${JSON.stringify(key)}]`);
  return { states: async () => (await read()).states, labels: async () => (await read()).labels };
}

async function openStatus(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
  await expect(page.getByRole('heading', { name: 'Service status' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Diagnostics' })).toBeVisible();
}

const service = (page: Page, name: ServiceName): Locator =>
  page.locator(`[data-testid="service"][data-service="${name}"]`);

async function chatStillWorks(page: Page, dataDir: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
  await newChat(page);
  const org = organization(dataDir, 'dallas-police');
  const answer = await ask(page, `Show the open tickets of ${org.name}`);
  await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
}

test('restarting a service from the status page shows it restarting, then ready; chat still works', async ({
  app,
  stack,
}) => {
  // The console (Restart, ports, logs) is under Diagnostics, for admins.
  await signIn(app, 'admin');
  await openStatus(app);
  for (const name of ['idp', 'ticketing', 'organizations', 'chroma', 'api'] as const)
    await expect(service(app, name)).toHaveAttribute('data-state', 'ready');
  const before = stack.info().services.ticketing!;
  const seen = await recordStates(app, 'ticketing');

  await service(app, 'ticketing').getByRole('button', { name: 'Restart ticketing' }).click();
  // The page shows the restart under way (the button says so, the service leaves `ready`) …
  await expect.poll(seen.labels).toContain('Restarting…');
  await expect.poll(async () => (await seen.states()).some((s) => s !== 'ready')).toBe(true);
  // … and the service back to ready.
  await expect.poll(async () => (await seen.states()).at(-1), { timeout: 60_000 }).toBe('ready');
  await expect(service(app, 'ticketing')).toHaveAttribute('data-state', 'ready');
  await expect(service(app, 'ticketing').getByRole('button', { name: 'Restart ticketing' })).toHaveText(
    'Restart',
  );

  // The app's own record: a new process, the old one gone.
  const after = await waitForStack(
    stack.dataDir,
    (s) => s.services.ticketing?.state === 'ready' && s.services.ticketing.pid !== before.pid,
    { timeoutMs: 60_000, what: 'ticketing ready with a new pid' },
  );
  expect(isAlive(before.pid), `old ticketing pid ${before.pid} still running`).toBe(false);
  expect(isAlive(after.services.ticketing!.pid)).toBe(true);
  await expect(service(app, 'ticketing')).toContainText(String(after.services.ticketing!.pid));

  await chatStillWorks(app, stack.dataDir);
});

test('a service killed from outside is shown down and back to ready; chat still works', async ({
  app,
  stack,
}) => {
  // The console (Restart, ports, logs) is under Diagnostics, for admins.
  await signIn(app, 'admin');
  await openStatus(app);
  await expect(service(app, 'organizations')).toHaveAttribute('data-state', 'ready');
  const before = stack.info().services.organizations!;
  expect(isAlive(before.pid)).toBe(true);
  const seen = await recordStates(app, 'organizations');

  process.kill(before.pid!, 'SIGKILL');
  // The supervisor notices the crash: the page shows the service restarting, then ready again.
  await expect.poll(seen.states).toContain('restarting');
  await expect.poll(async () => (await seen.states()).at(-1), { timeout: 60_000 }).toBe('ready');
  await waitForStack(
    stack.dataDir,
    (s) => s.services.organizations?.state === 'ready' && s.services.organizations.pid !== before.pid,
    { timeoutMs: 60_000, what: 'organizations ready with a new pid' },
  );

  await chatStillWorks(app, stack.dataDir);
});
