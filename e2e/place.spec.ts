/** Never lose the person's place: a reload or a pasted link comes back to the conversation, the skip
 *  link stays on the page, and a message the API refuses stays in the composer. */
import { test, expect } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { signIn } from './support/auth.js';
import { answers, ask, chatView } from './support/chat.js';

test('a reload and a pasted link to /c/<id> sign in again silently and come back to that conversation', async ({
  app,
}, testInfo) => {
  await signIn(app, 'alex_agent');
  const question = 'How do I assign a body camera to an officer?';
  await ask(app, question);
  await expect(app).toHaveURL(/\/c\/[^/]+$/);
  const url = app.url();
  const mine = app.getByTestId('message').filter({ hasText: question });

  const figures: number[] = [];
  for (const how of ['reload', 'pasted link'] as const) {
    const started = Date.now();
    if (how === 'reload') await app.reload();
    else await app.goto(url);
    await expect(mine).toBeVisible();
    figures.push(Date.now() - started);
    expect(app.url(), how).toBe(url);
    await expect(chatView(app)).toHaveAttribute('data-state', 'idle');
    await expect(answers(app)).toHaveCount(1);
    await expect(app.getByTestId('current-user')).toContainText('Alex');
  }
  const [reloadMs, linkMs] = figures;
  console.log(`back in the conversation after a reload: ${reloadMs} ms; after a pasted link: ${linkMs} ms`);
  testInfo.annotations.push({
    type: 'figure',
    description: JSON.stringify({ reloadToConversationMs: reloadMs, linkToConversationMs: linkMs }),
  });
  // Back does not land on the identity provider's redirect: it leaves the conversation's entry.
  expect(await app.evaluate('history.length')).toBeGreaterThan(0);
});

test('"Skip to content" moves focus to the page without leaving the conversation', async ({ app }) => {
  await signIn(app, 'riley_agent');
  await ask(app, 'Show my open tickets');
  await expect(app).toHaveURL(/\/c\/[^/]+$/);
  const url = app.url();
  let navigations = 0;
  app.on('framenavigated', (frame) => {
    if (frame === app.mainFrame()) navigations++;
  });
  // The composer has the focus; the skip link is the first stop of the page.
  const skip = app.getByRole('link', { name: 'Skip to content' });
  await skip.focus();
  await expect(skip).toBeInViewport();
  await app.keyboard.press('Enter');
  await expect(app.locator('main#main')).toBeFocused();
  expect(app.url()).toBe(url);
  expect(navigations).toBe(0);
  await expect(answers(app)).toHaveCount(1);
});

test('a send the API refuses keeps the draft and says why once', async ({ app, stack }) => {
  const agent = 'alex_agent';
  await signIn(app, agent);
  await ask(app, 'Show my open tickets');
  await expect(app).toHaveURL(/\/c\/[^/]+$/);
  const id = conversationIdOf(app.url());
  // Deleted elsewhere (another window): the API answers "not found" to the next message.
  const api = await ApiClient.signIn(stack.dataDir, agent);
  expect((await api.request('DELETE', `/api/conversations/${id}`)).status).toBe(204);

  const draft = 'A long question I do not want to type again';
  const box = app.getByRole('textbox', { name: 'Message' });
  await box.fill(draft);
  await app.getByRole('button', { name: 'Send' }).click();
  const error = app.getByTestId('chat-error');
  await expect(error).toContainText('Not sent');
  await expect(chatView(app)).toHaveAttribute('data-state', 'error');
  await expect(box).toHaveValue(draft);
  await expect(app.getByRole('alert').filter({ hasText: 'Not sent' })).toHaveCount(1);
  await expect(error.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  // Nothing of the refused message was added to the conversation on the page.
  await expect(app.getByTestId('message').filter({ hasText: draft })).toHaveCount(0);
});

test('the composer counts characters near the 8000-character limit and does not send past it', async ({
  app,
}) => {
  await signIn(app, 'alex_agent');
  const box = app.getByRole('textbox', { name: 'Message' });
  const count = app.getByTestId('char-count');
  await box.fill('x'.repeat(7500));
  await expect(count).toHaveText('7,500 / 8,000');
  await box.fill('x'.repeat(8010));
  await expect(count).toContainText('10 over the limit');
  await expect(app.getByRole('button', { name: 'Send' })).toBeDisabled();
});
