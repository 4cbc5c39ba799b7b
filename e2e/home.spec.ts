/**
 * Journey: the home per role. A customer's home shows their own tickets and only their organization's
 * status (never another organization, not even in a suggestion); a ticket row asks about that ticket,
 * and the conversation is named after it; the conversation list finds it by a word of the answer.
 */
import { test, expect } from './fixtures.js';
import { signIn } from './support/auth.js';
import { answers, chatView } from './support/chat.js';
import { organization, organizations, query, ticketingDb } from './support/db.js';

test("a customer's home shows only their organization, and a ticket row opens that ticket", async ({
  app,
  stack,
}) => {
  await signIn(app, 'linda_baker');
  const own = organization(stack.dataDir, 'allen-firestation');
  const home = app.getByTestId('home');
  await expect(home.getByTestId('home-organization')).toHaveCount(1);
  await expect(home.getByTestId('home-organization')).toContainText(own.name);
  await expect(home.getByRole('group', { name: 'Suggestions' })).toContainText(
    `What is the status of ${own.name}?`,
  );
  // No other organization anywhere on the page (Dallas Police is the demo's usual example).
  const text = await home.innerText();
  for (const other of organizations(stack.dataDir).filter((o) => o.slug !== own.slug))
    expect(text, `home names ${other.name}`).not.toContain(other.name);
  await expect(home.getByRole('heading', { name: /Your queue|Unassigned urgent/ })).toHaveCount(0);

  // Their tickets are theirs: each row is a ticket they reported, as the ticketing database says.
  const rows = home.getByTestId('home-ticket');
  await expect(rows.first()).toBeVisible();
  const reported = query<{ number: string; title: string }>(
    ticketingDb(stack.dataDir),
    `SELECT 'TCK-' || id AS number, title FROM tickets WHERE reporter = 'linda_baker'`,
  );
  const shown = await rows.locator('.ticket-number').allInnerTexts();
  expect(shown.length).toBeGreaterThan(0);
  for (const n of shown) expect(reported.map((r) => r.number)).toContain(n.trim());

  // A row asks about that ticket; the conversation is titled "TCK-… · its title".
  const first = reported.find((r) => r.number === shown[0]!.trim())!;
  await rows.first().click();
  await expect(answers(app)).toHaveCount(1);
  await expect(chatView(app)).toHaveAttribute('data-state', 'idle');
  await expect(answers(app).first()).toContainText(first.number);
  const list = app.getByRole('navigation', { name: 'Conversations' });
  await expect(list.getByTestId('conversation-row').first()).toContainText(`${first.number} · `);

  // Ctrl+K searches inside messages: the ticket's number finds the conversation.
  await app.keyboard.press('Control+k');
  const search = list.getByRole('searchbox', { name: 'Search conversations' });
  await expect(search).toBeFocused();
  await search.fill(first.number);
  await expect(list.getByTestId('conversation-row')).toHaveCount(1);
});

test('a customer of another organization is offered their own, never Dallas Police', async ({
  app,
  stack,
}) => {
  await signIn(app, 'paul_morgan');
  const dallas = organization(stack.dataDir, 'dallas-police');
  const own = organization(stack.dataDir, 'la-city');
  const home = app.getByTestId('home');
  await expect(home.getByTestId('home-organization')).toHaveCount(1);
  await expect(home.getByTestId('home-organization')).toContainText(own.name);
  await expect(home).not.toContainText(dallas.name);
  await expect(home).not.toContainText('Dallas');

  // A narrow window: the conversation list folds away behind a toggle.
  await app.setViewportSize({ width: 900, height: 700 });
  const list = app.getByRole('navigation', { name: 'Conversations' });
  const toggle = app.getByTestId('sidebar-toggle');
  await expect(list).toBeHidden();
  await toggle.click();
  await expect(list).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await app.keyboard.press('Escape');
  await expect(list).toBeHidden();
});
