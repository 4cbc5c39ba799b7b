/**
 * A running turn survives a reload: a change waits for the person's decision, the page is reloaded, the
 * conversation comes back with the running answer and its "Approve change?" dialog; approving finishes
 * the turn and makes exactly that change.
 */
import { test, expect, uniqueTag } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { signIn } from './support/auth.js';
import { ask, chatView, lastAnswer, toolCards } from './support/chat.js';
import { organization, ticketsTitled } from './support/db.js';

const AGENT = 'alex_agent';

test('a turn waiting for approval comes back after a reload, dialog included, and finishes when approved', async ({
  app,
  stack,
}) => {
  const org = organization(stack.dataDir, 'dallas-police');
  const title = `Reload while waiting ${uniqueTag()}`;
  await signIn(app, AGENT);
  await ask(app, `Create a ticket for ${org.name}: ${title}`, 'awaiting-approval');
  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog).toContainText(title);
  const url = app.url();

  await app.reload();
  // Back in the conversation, the turn still running and its decision still asked for.
  expect(app.url()).toBe(url);
  await expect(chatView(app)).toHaveAttribute('data-state', 'awaiting-approval');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(title);
  await expect(toolCards(lastAnswer(app), 'create_ticket')).toContainText('Waiting for your approval');
  expect(ticketsTitled(stack.dataDir, title), 'nothing is written before the decision').toEqual([]);

  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(dialog).toBeHidden();
  await expect(chatView(app)).toHaveAttribute('data-state', 'idle');
  const answer = lastAnswer(app);
  await expect(answer).toHaveAttribute('data-status', 'complete');
  await expect(toolCards(answer, 'create_ticket')).toHaveAttribute('data-state', 'ok');
  const rows = ticketsTitled(stack.dataDir, title);
  expect(rows, 'exactly one ticket').toHaveLength(1);
  await expect(answer.locator('.markdown')).toContainText(rows[0]!.number);

  // One question, one answer: nothing shown twice after the reload.
  const api = await ApiClient.signIn(stack.dataDir, AGENT);
  const conversation = await api.conversation(conversationIdOf(app.url()));
  expect(conversation?.activeTurn).toBeUndefined();
  expect(conversation?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  await expect(app.locator('[data-testid="message"]')).toHaveCount(2);
});
