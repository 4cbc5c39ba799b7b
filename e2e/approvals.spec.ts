/** Journey 2: a change waits for the person's decision; approve creates the ticket, deny creates nothing. */
import { test, expect, uniqueTag } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { signIn } from './support/auth.js';
import { ask, chatView, lastAnswer, openToolCard, toolCards, approveAndFinish } from './support/chat.js';
import { organization, ticketsMatching, ticketsTitled } from './support/db.js';

const AGENT = 'alex_agent';
const ORG = 'dallas-police';

test('approving a ticket creation creates exactly that ticket', async ({ app, stack }) => {
  const org = organization(stack.dataDir, ORG);
  const title = `Dock firmware stalls at eighty percent ${uniqueTag()}`;
  await signIn(app, AGENT);
  await ask(app, `Create a ticket for ${org.name}: ${title}`, 'awaiting-approval');

  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('create_ticket');
  await expect(dialog).toContainText(title);
  await expect(dialog).toContainText(ORG);
  expect(ticketsTitled(stack.dataDir, title), 'nothing is written before the decision').toEqual([]);

  const answer = await approveAndFinish(app, dialog);
  const card = toolCards(answer, 'create_ticket');
  await expect(card).toHaveAttribute('data-state', 'ok');

  const rows = ticketsTitled(stack.dataDir, title);
  expect(rows, 'the ticket in the ticketing database').toHaveLength(1);
  expect(rows[0]!.org).toBe(ORG);
  expect(rows[0]!.status).toBe('open');
  await expect(answer.locator('.markdown')).toContainText(rows[0]!.number);
  await expect(await openToolCard(card)).toContainText(rows[0]!.number);

  const api = await ApiClient.signIn(stack.dataDir, AGENT);
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const call = conversation?.messages.flatMap((m) => m.toolCalls).find((c) => c.tool === 'create_ticket');
  expect(call?.approval?.decision).toBe('approved');
  expect(call?.ok).toBe(true);
});

test('denying a ticket creation creates nothing', async ({ app, stack }) => {
  const org = organization(stack.dataDir, ORG);
  const tag = uniqueTag();
  const title = `Aware alerts arrive twice ${tag}`;
  await signIn(app, AGENT);
  await ask(app, `Create a ticket for ${org.name}: ${title}`, 'awaiting-approval');

  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog).toContainText(title);
  await dialog.getByRole('button', { name: 'Deny' }).click();
  await expect(dialog).toBeHidden();
  await expect(chatView(app)).toHaveAttribute('data-state', 'idle');
  const answer = lastAnswer(app);
  await expect(answer).toHaveAttribute('data-status', 'complete');
  await expect(toolCards(answer, 'create_ticket')).toHaveAttribute('data-state', 'error');
  await expect(answer.locator('.markdown')).toContainText(/not created/i);

  expect(ticketsMatching(stack.dataDir, tag), 'no ticket with that text in the database').toEqual([]);
  const api = await ApiClient.signIn(stack.dataDir, AGENT);
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const call = conversation?.messages.flatMap((m) => m.toolCalls).find((c) => c.tool === 'create_ticket');
  expect(call?.approval?.decision).toBe('denied');
  expect(call?.ok).not.toBe(true);
});
