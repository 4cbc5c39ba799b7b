/** Journey 3: a documentation question is answered with citations, and a citation opens its passage. */
import { test, expect } from './fixtures.js';
import { ApiClient, conversationIdOf, waitForKnowledgeReady } from './support/api.js';
import { signIn } from './support/auth.js';
import { ask } from './support/chat.js';

test('a documentation answer cites its sources and opening one shows the passage', async ({ app, stack }) => {
  const api = await ApiClient.signIn(stack.dataDir, 'riley_agent');
  await waitForKnowledgeReady(api);
  await signIn(app, 'riley_agent');
  const answer = await ask(app, 'How do I place evidence on legal hold so it is not deleted by retention?');

  const citations = answer.getByTestId('citation');
  await expect(citations.first()).toBeVisible();
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const stored = conversation!.messages.filter((m) => m.role === 'assistant').at(-1)!.citations;
  expect(stored.length, 'citations stored with the answer').toBeGreaterThan(0);
  await expect(citations).toHaveCount(stored.length);
  expect(
    stored.some((c) => /hold|retention/i.test(`${c.title} ${c.section}`)),
    JSON.stringify(stored),
  ).toBe(true);

  const first = stored[0]!;
  await expect(citations.first()).toContainText(first.title);
  await citations.first().click();
  const panel = app.getByTestId('passage-panel');
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('heading', { level: 2 })).toHaveText(first.title);
  const passage = await api.passage(first.chunkId);
  expect(passage.documentId).toBe(first.documentId);
  const shown = (await panel.locator('.passage-text').innerText()).replace(/\s+/g, ' ').trim();
  expect(shown).toBe(passage.text.replace(/\s+/g, ' ').trim());

  await panel.getByRole('button', { name: 'Close passage' }).click();
  await expect(panel).toBeHidden();
});
