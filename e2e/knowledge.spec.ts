/** Journey 6: an uploaded Markdown document is ingested with visible progress and then cited in answers. */
import { test, expect, uniqueTag } from './fixtures.js';
import { ApiClient, conversationIdOf, waitForKnowledgeReady } from './support/api.js';
import { signIn } from './support/auth.js';
import { ask, newChat } from './support/chat.js';

test('an uploaded Markdown document completes ingestion and answers cite it', async ({ app, stack }) => {
  const tag = uniqueTag('kb');
  const title = `Quillfeather Relay Maintenance ${tag}`;
  const filename = `quillfeather-${tag}.md`;
  const markdown = `# ${title}

The Quillfeather relay links a V700 docking station to the evidence uplink in older substations.

## Resetting the Quillfeather relay

To reset the Quillfeather relay, hold the amber pairing key for nine seconds until the status ring
blinks violet twice. The relay then renegotiates its uplink channel and resumes offloading within
two minutes. Do not unplug the dock while the ring is violet.

## Quillfeather relay error codes

Code QF-17 means the uplink certificate expired; renew it from the admin console under Network.
`;
  const api = await ApiClient.signIn(stack.dataDir, 'alex_agent');
  await waitForKnowledgeReady(api);
  await signIn(app, 'alex_agent');
  await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge' }).click();
  await expect(app.getByRole('heading', { name: 'Knowledge base' })).toBeVisible();

  let documentId: string | undefined;
  try {
    await app.getByLabel('Choose a document to upload').setInputFiles({
      name: filename,
      mimeType: 'text/markdown',
      buffer: Buffer.from(markdown),
    });
    const progress = app.getByTestId('upload-progress');
    await expect(progress).toBeVisible();
    await expect(progress).toHaveAttribute('data-phase', 'ready', { timeout: 90_000 });

    // The API's record: ingested completely.
    const doc = (await api.documents()).find((d) => d.filename === filename);
    expect(doc, 'the uploaded document in the API').toBeTruthy();
    documentId = doc!.id;
    expect(doc!.status).toBe('ready');
    expect(doc!.source).toBe('upload');
    expect(doc!.chunksTotal).toBeGreaterThan(0);
    expect(doc!.chunksDone).toBe(doc!.chunksTotal);
    const row = app.getByRole('row').filter({ hasText: filename });
    await expect(row.locator('[data-state]')).toHaveAttribute('data-state', 'ready');

    await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
    await newChat(app);
    const answer = await ask(app, 'How do I reset the Quillfeather relay?');
    const citations = answer.getByTestId('citation');
    await expect(citations.filter({ hasText: doc!.title })).not.toHaveCount(0);
    await expect(answer.locator('.markdown')).toContainText('nine seconds');

    const conversation = await api.conversation(conversationIdOf(app.url()));
    const cited = conversation!.messages.flatMap((m) => m.citations).map((c) => c.documentId);
    expect(cited, 'the stored answer cites the upload').toContain(documentId);
  } finally {
    if (documentId) await api.request('DELETE', `/api/knowledge/documents/${documentId}`);
  }
});
