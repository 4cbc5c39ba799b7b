/** Journey 7: the status page restarts a service (and sees one that was killed come back); chat still works. */
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { signIn } from './support/auth.js';
import { ask, newChat, toolCards } from './support/chat.js';
import { organization } from './support/db.js';
import { isAlive, waitForStack, type ServiceName } from './support/stack.js';

/** Records every `data-state` the status page shows for one service (a MutationObserver in the page), so
 *  a short-lived state is not missed between two polls. */
async function recordStates(page: Page, name: ServiceName): Promise<() => Promise<string[]>> {
  const key = `__e2eStates_${name}`;
  // A string, so this runs in the page (no DOM types in the test project).
  await page.evaluate(`(() => {
    const seen = (window[${JSON.stringify(key)}] = []);
    const note = () => {
      const el = document.querySelector('[data-testid="service"][data-service="${name}"]');
      const state = el ? el.getAttribute('data-state') : 'absent';
      if (seen[seen.length - 1] !== state) seen.push(state);
    };
    note();
    new MutationObserver(note).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'],
    });
  })()`);
  return () => page.evaluate<string[]>(`window[${JSON.stringify(key)}]`);
}

async function openStatus(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
  await expect(page.getByRole('heading', { name: 'Service status' })).toBeVisible();
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
  await signIn(app, 'alex_agent');
  await openStatus(app);
  for (const name of ['idp', 'ticketing', 'organizations', 'chroma', 'api'] as const)
    await expect(service(app, name)).toHaveAttribute('data-state', 'ready');
  const before = stack.info().services.ticketing!;
  const states = await recordStates(app, 'ticketing');

  await service(app, 'ticketing').getByRole('button', { name: 'Restart ticketing' }).click();
  await expect.poll(states).toContain('restarting');
  await expect(service(app, 'ticketing')).toHaveAttribute('data-state', 'ready');
  expect((await states()).at(-1)).toBe('ready');

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
  await signIn(app, 'alex_agent');
  await openStatus(app);
  await expect(service(app, 'organizations')).toHaveAttribute('data-state', 'ready');
  const before = stack.info().services.organizations!;
  expect(isAlive(before.pid)).toBe(true);
  const states = await recordStates(app, 'organizations');

  process.kill(before.pid!, 'SIGKILL');
  await expect.poll(async () => (await states()).some((s) => s !== 'ready')).toBe(true);
  await expect.poll(async () => (await states()).at(-1), { timeout: 60_000 }).toBe('ready');
  await waitForStack(
    stack.dataDir,
    (s) => s.services.organizations?.state === 'ready' && s.services.organizations.pid !== before.pid,
    { timeoutMs: 60_000, what: 'organizations ready with a new pid' },
  );

  await chatStillWorks(app, stack.dataDir);
});
