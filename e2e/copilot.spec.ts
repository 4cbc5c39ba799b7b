/**
 * Journey: an agent opens a ticket from an answer, asks the copilot (Basic mode) to summarize it and to
 * draft a reply, edits the draft in the comment box and sends it; the comment is in the ticketing
 * database as a public comment by the agent, and the copilot's Similar tickets lists resolved ones.
 */
import { test, expect, uniqueTag } from './fixtures.js';
import { signIn } from './support/auth.js';
import { ask, openToolCard, toolCards } from './support/chat.js';
import { query, ticketingDb } from './support/db.js';

const AGENT = 'alex_agent';

test('draft a reply on a ticket with the copilot, edit it and send it', async ({ app, stack }) => {
  await signIn(app, AGENT);
  const answer = await ask(app, 'open tickets of Dallas Police');
  const link = answer.locator('a.ticket-ref').first();
  const number = (await link.textContent())!.trim();
  await link.click();

  const panel = app.getByTestId('ticket-panel');
  await expect(panel).toBeVisible();
  const copilot = panel.getByTestId('copilot-actions');
  await expect(copilot).toHaveAttribute('data-ticket', number);
  await expect(copilot).toContainText('Basic mode');

  await copilot.getByRole('button', { name: 'Summarize' }).click();
  const summary = copilot.getByTestId('copilot-summary');
  await expect(summary).toContainText('Problem');
  await expect(summary).toContainText('Next step');
  await copilot.screenshot({ path: 'e2e-artifacts/copilot-summary-light-1280.png' });
  await expect(copilot.getByTestId('copilot-note')).toContainText(/Basic mode · no AI model/);

  await copilot.getByRole('button', { name: 'Draft reply' }).click();
  await expect(copilot.getByTestId('copilot-draft')).toContainText('inserted in the comment box');
  const box = panel.getByTestId('comment-box');
  await expect(box).toHaveValue(new RegExp(`Thank you for your report .*\\(${number}\\)`));
  const draft = await box.inputValue();
  expect(draft).toMatch(/Sources:\n\[1\] /);
  await panel.screenshot({ path: 'e2e-artifacts/copilot-draft-light-1280.png' });

  // The agent edits the draft before sending it.
  const tag = uniqueTag('copilot');
  const edited = draft.replace('Hello,', `Hello, (${tag})`);
  await box.fill(edited);
  await panel.getByRole('button', { name: 'Send reply' }).click();
  await expect(panel.getByTestId('comment').filter({ hasText: tag })).toBeVisible();

  const rows = query<{ author: string; internal: number; body: string }>(
    ticketingDb(stack.dataDir),
    "SELECT author, internal, body FROM comments WHERE ticket_id = ? AND body LIKE '%' || ? || '%'",
    Number(number.replace('TCK-', '')),
    tag,
  );
  expect(rows, 'the sent reply in the ticketing database').toHaveLength(1);
  expect(rows[0]).toMatchObject({ author: AGENT, internal: 0 });
  expect(rows[0]!.body).toBe(edited);

  await copilot.getByRole('button', { name: 'Similar tickets' }).click();
  const similar = copilot.getByTestId('copilot-similar');
  await expect(similar.locator('li').first()).toContainText(/Resolution:|Closed without/);
  await copilot.screenshot({ path: 'e2e-artifacts/copilot-similar-light-1280.png' });
  await app.setViewportSize({ width: 1920, height: 1080 });
  await app.emulateMedia({ colorScheme: 'dark' });
  await app.screenshot({ path: 'e2e-artifacts/copilot-similar-dark-1920.png' });
});

test('the approval form: the agent edits the proposed ticket, and the edited one is created', async ({
  app,
  stack,
}) => {
  await app.setViewportSize({ width: 1920, height: 1080 });
  await app.emulateMedia({ colorScheme: 'dark' });
  await signIn(app, AGENT);
  const tag = uniqueTag('form');
  const proposed = `Dock bay three not charging ${tag}`;
  await ask(app, `Create a ticket for Dallas Police Department: ${proposed}`, 'awaiting-approval');
  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog.getByRole('button', { name: 'Deny' })).toBeFocused();
  const title = dialog.getByLabel('Title');
  await expect(title).toHaveValue(proposed);
  const edited = `DS-8 bay 3 not charging ${tag}`;
  await title.fill(edited);
  await dialog.getByLabel('Priority').selectOption('high');
  await expect(dialog.getByTestId('approval-edited')).toBeVisible();
  await app.screenshot({ path: 'e2e-artifacts/approval-form-dark-1920.png' });
  await dialog.getByRole('button', { name: 'Approve with changes' }).click();
  await expect(dialog).toBeHidden();
  await expect(app.getByTestId('chat')).toHaveAttribute('data-state', 'idle');

  const rows = query<{ title: string; priority: string }>(
    ticketingDb(stack.dataDir),
    "SELECT title, priority FROM tickets WHERE title LIKE '%' || ? || '%'",
    tag,
  );
  expect(rows, 'exactly the edited ticket was created').toEqual([{ title: edited, priority: 'high' }]);
});

test('"Don\'t ask again" for comments: the next comment in the conversation is approved by that rule, on record', async ({
  app,
  stack,
}) => {
  const number = query<{ n: string }>(
    ticketingDb(stack.dataDir),
    "SELECT 'TCK-' || id AS n FROM tickets WHERE org = 'dallas-police' AND status = 'open' ORDER BY id LIMIT 1",
  )[0]!.n;
  const tag = uniqueTag('rule');
  await signIn(app, AGENT);
  await ask(app, `Add an internal note to ${number} saying first check ${tag}`, 'awaiting-approval');
  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  const remember = dialog.getByLabel("Don't ask again for comments in this conversation");
  await expect(remember).not.toBeChecked();
  await remember.check();
  await dialog.screenshot({ path: 'e2e-artifacts/approval-remember-light-1280.png' });
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(dialog).toBeHidden();
  await expect(app.getByTestId('chat')).toHaveAttribute('data-state', 'idle');

  const second = await ask(app, `Add an internal note to ${number} saying second check ${tag}`);
  const card = toolCards(second, 'add_comment');
  await expect(card).toHaveAttribute('data-state', 'ok');
  await expect(card).toContainText('Auto-approved');
  const body = await openToolCard(card);
  await expect(body.getByTestId('auto-approval')).toContainText(
    'Comments allowed for this conversation by Alex Rivera',
  );
  const rows = query<{ body: string; internal: number }>(
    ticketingDb(stack.dataDir),
    "SELECT body, internal FROM comments WHERE body LIKE '%' || ? || '%' ORDER BY id",
    tag,
  );
  expect(rows.map((r) => [r.body.replace(` ${tag}`, ''), r.internal])).toEqual([
    ['first check', 1],
    ['second check', 1],
  ]);
});
