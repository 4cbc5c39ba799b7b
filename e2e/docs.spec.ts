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
  // The passage as Markdown (no raw **marks**), the answering sentence (where the snippet starts) marked.
  const text = panel.getByTestId('passage-text');
  await expect(text).toBeVisible();
  const shown = (await text.innerText()).replace(/\s+/g, ' ').trim();
  expect(shown).not.toContain('**');
  const cited = panel.locator('mark.cited');
  await expect(cited.first()).toBeVisible();
  const marked = (await cited.allInnerTexts()).join('').replace(/\s+/g, ' ').trim();
  expect(first.snippet.replace(/\s+/g, ' ')).toContain(marked.slice(0, 40));
  expect(passage.text.length).toBeGreaterThan(0);

  // "Open document" shows the whole document, the sentence still marked.
  await panel.getByTestId('open-document').click();
  await expect(panel.getByRole('button', { name: 'Back to the passage' })).toBeVisible();
  expect((await text.innerText()).length).toBeGreaterThan(shown.length);
  await expect(cited.first()).toBeVisible();
  await panel.getByRole('button', { name: 'Back to the passage' }).click();

  await panel.getByRole('button', { name: 'Close passage' }).click();
  await expect(panel).toBeHidden();

  // Inline [n] markers: hovering one previews its source; a click opens it.
  const marker = answer.locator('a.cite-ref').first();
  await expect(marker).toBeVisible();
  await marker.hover();
  const preview = answer.getByTestId('cite-preview');
  await expect(preview).toBeVisible();
  await expect(preview).toContainText(first.title);
  await marker.click();
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('heading', { level: 2 })).toHaveText(first.title);
});
