/** Journey 4: a conversation survives a reload with its tool cards; rename and delete reach the API. */
import { test, expect, uniqueTag } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { signIn } from './support/auth.js';
import { ask, chatView, openToolCard, ticketNumbers, toolCards } from './support/chat.js';
import { organization } from './support/db.js';

test('after a reload the conversation is listed and opens with its tool cards; rename and delete work', async ({
  app,
  stack,
}) => {
  const agent = 'riley_agent';
  const org = organization(stack.dataDir, 'brandon-electronics');
  await signIn(app, agent);
  const answer = await ask(app, `Show the open tickets of ${org.name}`);
  await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
  const before = ticketNumbers(await (await openToolCard(toolCards(answer, 'search_tickets'))).innerText());
  await expect(app).toHaveURL(/\/c\/[^/]+$/);
  const id = conversationIdOf(app.url());

  const api = await ApiClient.signIn(stack.dataDir, agent);
  const stored = await api.conversation(id);
  expect(stored?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  const list = app.getByRole('navigation', { name: 'Conversations' });

  // Rename: a title unique to this test.
  const title = `Brandon open tickets ${uniqueTag()}`;
  await list.getByRole('button', { name: `Rename ${stored!.title}` }).click();
  const input = list.getByRole('textbox', { name: 'New title' });
  await input.fill(title);
  await input.press('Enter');
  await expect(list.getByRole('link', { name: title })).toBeVisible();
  await expect.poll(async () => (await api.conversation(id))?.title).toBe(title);

  // Reload: the conversation is still listed and opens with its tool cards and their results.
  await app.reload();
  await expect(chatView(app)).toBeVisible();
  await app.getByRole('button', { name: 'New chat' }).click();
  await expect(list.getByRole('link', { name: title })).toBeVisible();
  await list.getByRole('link', { name: title }).click();
  await expect(app).toHaveURL(new RegExp(`/c/${id}$`));
  const reopened = toolCards(app.getByTestId('chat'), 'search_tickets');
  await expect(reopened).toHaveCount(1);
  await expect(reopened).toHaveAttribute('data-state', 'ok');
  expect(ticketNumbers(await (await openToolCard(reopened)).innerText())).toEqual(before);

  // Delete: gone from the list, and the API no longer has it.
  await list.getByRole('button', { name: `Delete ${title}` }).click();
  await expect(list.getByRole('link', { name: title })).toHaveCount(0);
  await expect.poll(async () => await api.conversation(id), { timeout: 30_000 }).toBeUndefined();
  await app.reload();
  await expect(chatView(app)).toBeVisible();
  await expect(list.getByRole('link', { name: title })).toHaveCount(0);
});
