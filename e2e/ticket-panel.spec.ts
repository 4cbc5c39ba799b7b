/**
 * The agent workspace (issue 14): a ticket number in an answer opens the ticket panel; an action there
 * (Assign) runs the ticketing tool with the person's own rights at once — no approval — is recorded in
 * the conversation as a tool call, and is in the ticketing database. Prints the click-to-panel time (the
 * renderer's own `msi:click-to-panel` measure) and saves screenshots at 1280×800 and 1920×1080, light
 * and dark, to e2e-artifacts/screens/.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { demoUser, signIn } from './support/auth.js';
import { ask, toolCards } from './support/chat.js';
import { organization, query, ticketingDb, ticketsOf } from './support/db.js';

const SCREENS = join(process.cwd(), 'e2e-artifacts', 'screens');

async function clickToPanel(page: Page): Promise<number> {
  const times = await page.evaluate<number[]>(
    `performance.getEntriesByName('msi:click-to-panel').map((e) => e.duration)`,
  );
  expect(times.length, 'the panel measured its click-to-panel time').toBeGreaterThan(0);
  return times.at(-1)!;
}

test('a supervisor opens a ticket from an answer, assigns it from the panel, and the database has it', async ({
  app,
  stack,
}) => {
  const supervisor = demoUser('sam_supervisor');
  const org = organization(stack.dataDir, 'dallas-police');
  const unassigned = ticketsOf(stack.dataDir, org.slug, ['open']).filter((t) => t.assignee === null);
  expect(unassigned.length, 'Dallas has an open, unassigned ticket').toBeGreaterThan(0);

  await signIn(app, supervisor.username);
  const answer = await ask(app, `Show the open tickets of ${org.name}`);
  // The number in the answer is a link; the one to assign is unassigned in the database.
  const target = unassigned[0]!;
  const link = answer.locator(`.markdown a.ticket-ref[href="#ticket/${target.number}"]`);
  await expect(link).toHaveCount(1);
  await link.click();

  const panel = app.getByTestId('ticket-panel');
  await expect(panel).toHaveAttribute('data-ticket', target.number);
  await expect(panel.getByRole('heading', { level: 2 })).toHaveText(target.title);
  await expect(panel.getByTestId('assignee')).toHaveText('Unassigned');
  await expect(panel.getByTestId('sla')).toContainText('SLA');
  const ms = await clickToPanel(app);
  console.log(`click-to-panel: ${ms.toFixed(0)} ms (${target.number}, measured by the renderer)`);

  const before = await answer.page().locator('[data-testid="message"][data-role="assistant"]').count();
  await panel.getByLabel('Assign to').fill('alex_agent');
  await panel.getByRole('button', { name: 'Assign', exact: true }).click();
  // No approval dialog: the click was the decision.
  await expect(panel.getByTestId('panel-notice')).toHaveText('Assigned to alex_agent.');
  await expect(app.getByRole('dialog')).toHaveCount(0);
  await expect(panel.getByTestId('assignee')).toHaveText('alex_agent');

  // The ticketing database has the change, by the supervisor.
  const [row] = query<{ assignee: string | null }>(
    ticketingDb(stack.dataDir),
    'SELECT assignee FROM tickets WHERE id = ?',
    target.id,
  );
  expect(row?.assignee).toBe('alex_agent');
  const [event] = query<{ actor: string; after: string }>(
    ticketingDb(stack.dataDir),
    'SELECT actor, after FROM events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1',
    target.id,
  );
  expect(event?.actor).toBe(supervisor.username);
  expect(JSON.parse(event!.after)).toMatchObject({ assignee: 'alex_agent' });

  // The conversation shows it as a tool call, and the API has recorded it there.
  const answers = app.locator('[data-testid="message"][data-role="assistant"]');
  await expect(answers).toHaveCount(before + 1);
  const recorded = answers.last();
  await expect(toolCards(recorded, 'update_ticket')).toHaveAttribute('data-state', 'ok');
  const api = await ApiClient.signIn(stack.dataDir, supervisor.username);
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const call = conversation?.messages.flatMap((m) => m.toolCalls).find((c) => c.tool === 'update_ticket');
  expect(call).toMatchObject({ ok: true, args: { number: target.number, assignee: 'alex_agent' } });
  expect(call?.approval).toBeUndefined();

  // The organization opens its card from the panel.
  await panel.getByRole('button', { name: org.name }).click();
  const card = app.getByTestId('org-card');
  await expect(card).toHaveAttribute('data-org', org.slug);
  await expect(card.getByTestId('deployment').first()).toBeVisible();
});

test('a customer’s ticket panel has no staff actions and no internal comments', async ({ app, stack }) => {
  const customer = demoUser('james_smith');
  const [withInternal] = query<{ number: string; id: number }>(
    ticketingDb(stack.dataDir),
    `SELECT 'TCK-' || t.id AS number, t.id FROM tickets t
       WHERE t.reporter = ? AND EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = t.id AND c.internal = 1)
       ORDER BY t.id LIMIT 1`,
    customer.username,
  );
  expect(withInternal, 'a ticket of james_smith with an internal comment').toBeTruthy();
  const publicCount = query<{ n: number }>(
    ticketingDb(stack.dataDir),
    'SELECT count(*) AS n FROM comments WHERE ticket_id = ? AND internal = 0',
    withInternal!.id,
  )[0]!.n;

  await signIn(app, customer.username);
  const answer = await ask(app, 'Show my tickets');
  const link = answer.locator(`.markdown a.ticket-ref[href="#ticket/${withInternal!.number}"]`);
  await expect(link).toHaveCount(1);
  await link.click();
  const panel = app.getByTestId('ticket-panel');
  await expect(panel).toHaveAttribute('data-ticket', withInternal!.number);
  await expect(panel.getByTestId('comment-box')).toBeVisible();
  await expect(panel.getByTestId('comment')).toHaveCount(publicCount);
  await expect(panel.locator('.comment.internal')).toHaveCount(0);
  await expect(panel.getByLabel('Assign to')).toHaveCount(0);
  await expect(panel.getByLabel('Status')).toHaveCount(0);
  await expect(panel.getByText('Internal (staff only)')).toHaveCount(0);
  await expect(panel.getByText('Resolve…')).toHaveCount(0);
});

test('screenshots of the workspace at 1280×800 and 1920×1080, light and dark', async ({ app }) => {
  await signIn(app, 'sam_supervisor');
  const answer = await ask(app, 'Show the open tickets of Dallas Police');
  await answer.locator('.markdown a.ticket-ref').first().click();
  await expect(app.getByTestId('ticket-panel').getByTestId('sla')).toBeVisible();
  for (const [width, height] of [
    [1280, 800],
    [1920, 1080],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      await app.setViewportSize({ width, height });
      await app.emulateMedia({ colorScheme: scheme });
      await app.evaluate(`document.documentElement.setAttribute('data-theme', ${JSON.stringify(scheme)})`);
      await app.screenshot({ path: join(SCREENS, `ticket-panel-${width}x${height}-${scheme}.png`) });
    }
  }
  await app.setViewportSize({ width: 1280, height: 800 });
  await app.getByTestId('ticket-panel').getByRole('button', { name: 'Dallas Police Department' }).click();
  await expect(app.getByTestId('org-card').getByTestId('deployment').first()).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await app.evaluate(`document.documentElement.setAttribute('data-theme', ${JSON.stringify(scheme)})`);
    await app.screenshot({ path: join(SCREENS, `org-card-1280x800-${scheme}.png`) });
  }
});
