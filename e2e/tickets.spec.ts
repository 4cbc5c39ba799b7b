/** Journeys 1 and 5: what the ticket tools show is exactly what the database holds for this person. */
import { test, expect } from './fixtures.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { demoUser, signIn } from './support/auth.js';
import { ask, openToolCard, ticketNumbers, toolCards } from './support/chat.js';
import {
  members,
  organization,
  query,
  ticketingDb,
  ticketsOf,
  OPEN_STATUSES,
  type TicketRow,
} from './support/db.js';

test('an agent asking for the open tickets of an organization in their claim sees exactly those in the database', async ({
  app,
  stack,
}) => {
  const agent = demoUser('alex_agent');
  // The organization of the claim with the fewest open tickets (at least one): the answer lists them all.
  const [pick] = agent.organizations
    .map((slug) => ({ slug, open: ticketsOf(stack.dataDir, slug) }))
    .filter((c) => c.open.length > 0 && c.open.length <= 25)
    .sort((a, b) => a.open.length - b.open.length);
  expect(pick, 'an organization of the claim with 1–25 open tickets').toBeTruthy();
  const org = organization(stack.dataDir, pick!.slug);
  const expected = pick!.open.map((t) => t.number).sort();

  await signIn(app, agent.username);
  const answer = await ask(app, `Show the open tickets of ${org.name}`);

  const card = toolCards(answer, 'search_tickets');
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute('data-state', 'ok');
  const body = await openToolCard(card);
  await expect(body).toContainText(org.slug);
  expect(ticketNumbers(await body.innerText()), 'tickets in the tool card').toEqual(expected);

  const text = answer.locator('.markdown');
  expect(ticketNumbers(await text.innerText()), 'tickets in the answer').toEqual(expected);
  await expect(text).toContainText(`${expected.length} ticket`);

  // The stored turn (the API's record) has the same result.
  const api = await ApiClient.signIn(stack.dataDir, agent.username);
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const call = conversation?.messages.flatMap((m) => m.toolCalls).find((c) => c.tool === 'search_tickets');
  expect(call?.ok).toBe(true);
  expect(ticketNumbers(JSON.stringify(call?.result))).toEqual(expected);
  for (const status of new Set(pick!.open.map((t) => t.status))) expect(OPEN_STATUSES).toContain(status);
});

test('a customer asking for another organization’s tickets and users gets nothing of theirs', async ({
  app,
  stack,
}) => {
  const customer = demoUser('james_smith');
  const other = organization(stack.dataDir, 'atlanta-police');
  expect(customer.organizations).not.toContain(other.slug);
  const otherTickets = query<TicketRow>(
    ticketingDb(stack.dataDir),
    `SELECT 'TCK-' || id AS number FROM tickets WHERE org = ?`,
    other.slug,
  ).map((t) => t.number);
  // Members only Atlanta has (a username may exist in several organizations).
  const ownMembers = new Set(
    customer.organizations.flatMap((o) => members(stack.dataDir, o).map((m) => m.username)),
  );
  const otherMembers = members(stack.dataDir, other.slug).filter((m) => !ownMembers.has(m.username));
  expect(otherTickets.length, 'Atlanta has tickets to leak').toBeGreaterThan(0);
  expect(otherMembers.length, 'Atlanta has users to leak').toBeGreaterThan(0);
  const own = new Set(
    query<TicketRow>(
      ticketingDb(stack.dataDir),
      `SELECT 'TCK-' || id AS number FROM tickets WHERE reporter = ?`,
      customer.username,
    ).map((t) => t.number),
  );

  await signIn(app, customer.username);
  const tickets = await ask(app, `Show the tickets of ${other.name}`);
  await expect(toolCards(tickets).first()).toBeVisible();
  for (const card of await toolCards(tickets).all()) await openToolCard(card);
  const ticketsText = await tickets.innerText();
  const shown = ticketNumbers(ticketsText);
  expect(
    shown.filter((n) => otherTickets.includes(n)),
    'Atlanta tickets on screen',
  ).toEqual([]);
  expect(
    shown.filter((n) => !own.has(n)),
    'tickets that are not the customer’s own',
  ).toEqual([]);

  const users = await ask(app, `List the users of ${other.name}`);
  for (const card of await toolCards(users).all()) await openToolCard(card);
  const usersText = (await users.innerText()).toLowerCase();
  for (const m of otherMembers) {
    expect(usersText, `Atlanta member ${m.username} on screen`).not.toContain(m.username.toLowerCase());
    expect(usersText).not.toContain(m.email.toLowerCase());
  }

  // What the API stored for this conversation (every tool result) holds nothing of Atlanta's either.
  const api = await ApiClient.signIn(stack.dataDir, customer.username);
  const stored = JSON.stringify(await api.conversation(conversationIdOf(app.url()))).toLowerCase();
  expect(stored.length).toBeGreaterThan(100);
  for (const n of otherTickets) expect(stored).not.toMatch(new RegExp(`\\b${n.toLowerCase()}\\b`));
  for (const m of otherMembers) expect(stored).not.toContain(m.email.toLowerCase());
});
