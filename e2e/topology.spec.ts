/**
 * The journeys against the production topology (project `topology`: npm run topology, nginx with a
 * self-signed certificate, PostgreSQL, Redis, 3 API instances, 2 of each MCP server), checked against the
 * PostgreSQL databases it runs on. The renderer is nginx's static copy in Remote mode: it signs in at the
 * balanced IDP and calls the balanced API, whose turns reach the balanced MCP servers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, uniqueTag, STACK_CLI } from './fixtures.js';
import { waitForStack } from './support/stack-file.js';
import { ApiClient, conversationIdOf } from './support/api.js';
import { demoUser, signIn } from './support/auth.js';
import { approveAndFinish, ask, openToolCard, ticketNumbers, toolCards } from './support/chat.js';
import { readTopology, topologyQuery } from './support/topology.js';

const OPEN = ['open', 'in_progress', 'waiting_on_customer'];

interface Ticket {
  number: string;
  org: string;
  status: string;
}

const tickets = (dataDir: string, where: string, values: unknown[]) =>
  topologyQuery<Ticket>(
    dataDir,
    'ticketing',
    `SELECT 'TCK-' || id AS number, org, status FROM tickets WHERE ${where} ORDER BY id`,
    values,
  );

async function orgName(dataDir: string, slug: string): Promise<string> {
  const [row] = await topologyQuery<{ name: string }>(
    dataDir,
    'organizations',
    'SELECT name FROM organizations WHERE slug = $1',
    [slug],
  );
  if (!row) throw new Error(`no organization ${slug} in the topology's database`);
  return row.name;
}

test('the renderer comes from nginx in Remote mode, on the balanced endpoints', async ({ app, stack }) => {
  const topology = readTopology(stack.dataDir);
  const config = (await (await app.request.get('/config.json')).json()) as Record<string, string>;
  expect(config).toMatchObject({
    mode: 'remote',
    issuer: topology.publicUrls.idp,
    apiUrl: topology.publicUrls.api,
  });
  expect(new URL(app.url()).origin).toBe(topology.webUrl);
});

test('an agent asking for the open tickets of an organization sees exactly those in PostgreSQL', async ({
  app,
  stack,
}) => {
  const agent = demoUser('alex_agent');
  const candidates = await Promise.all(
    agent.organizations.map(async (slug) => ({
      slug,
      open: await tickets(stack.dataDir, 'org = $1 AND status = ANY($2)', [slug, OPEN]),
    })),
  );
  const [pick] = candidates
    .filter((c) => c.open.length > 0 && c.open.length <= 25)
    .sort((a, b) => a.open.length - b.open.length);
  expect(pick, 'an organization of the claim with 1–25 open tickets').toBeTruthy();
  const expected = pick!.open.map((t) => t.number).sort();

  await signIn(app, agent.username);
  const answer = await ask(app, `Show the open tickets of ${await orgName(stack.dataDir, pick!.slug)}`);
  const card = toolCards(answer, 'search_tickets');
  await expect(card).toHaveAttribute('data-state', 'ok');
  expect(ticketNumbers(await (await openToolCard(card)).innerText()), 'tickets in the tool card').toEqual(
    expected,
  );
  expect(ticketNumbers(await answer.locator('.markdown').innerText()), 'tickets in the answer').toEqual(
    expected,
  );
});

test('approving a ticket creation creates exactly that ticket, once, in PostgreSQL', async ({
  app,
  stack,
}) => {
  const slug = 'dallas-police';
  const title = `Dock firmware stalls at eighty percent ${uniqueTag()}`;
  await signIn(app, 'alex_agent');
  await ask(app, `Create a ticket for ${await orgName(stack.dataDir, slug)}: ${title}`, 'awaiting-approval');

  const dialog = app.getByRole('dialog', { name: 'Approve change?' });
  await expect(dialog).toContainText('create_ticket');
  await expect(dialog).toContainText(title);
  expect(
    await tickets(stack.dataDir, 'title = $1', [title]),
    'nothing is written before the decision',
  ).toEqual([]);

  const answer = await approveAndFinish(app, dialog);
  await expect(toolCards(answer, 'create_ticket')).toHaveAttribute('data-state', 'ok');

  const rows = await tickets(stack.dataDir, 'title = $1', [title]);
  expect(rows, 'the ticket in the ticketing database').toHaveLength(1);
  expect(rows[0]).toMatchObject({ org: slug, status: 'open' });
  await expect(answer.locator('.markdown')).toContainText(rows[0]!.number);

  // The API's record (PostgreSQL, read by whichever instance nginx picks) has the approval.
  const api = await ApiClient.signIn(stack.dataDir, 'alex_agent');
  const conversation = await api.conversation(conversationIdOf(app.url()));
  const call = conversation?.messages.flatMap((m) => m.toolCalls).find((c) => c.tool === 'create_ticket');
  expect(call?.approval?.decision).toBe('approved');
  expect(call?.ok).toBe(true);
});

test('the desktop app in Remote mode, pointed at the topology, signs in and answers', async ({
  stack,
  webBrowser,
}) => {
  const topology = readTopology(stack.dataDir);
  const dataDir = mkdtempSync(join(tmpdir(), 'msi-e2e-remote-'));
  // `npm run stack` in Remote mode: only the host (renderer + /config.json) on the port the topology
  // accepts as a desktop origin; NODE_EXTRA_CA_CERTS lets its connection test trust nginx's certificate.
  const proc = spawn(
    process.execPath,
    [
      ...[STACK_CLI, '--data-dir', dataDir, '--mode', 'remote', '--port', String(stack.desktopHostPort)],
      ...['--issuer', topology.publicUrls.idp, '--api-url', topology.publicUrls.api],
    ],
    { env: { ...process.env, NODE_EXTRA_CA_CERTS: topology.certFile }, stdio: 'ignore' },
  );
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    const host = await waitForStack(dataDir, (s) => s.mode === 'remote' && !!s.rendererUrl, {
      what: 'the Remote-mode host',
      failed: () => (proc.exitCode !== null ? `the stack command exited with ${proc.exitCode}` : undefined),
    });
    const context = await webBrowser!.newContext({ baseURL: host.rendererUrl, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto('/');
    const config = (await (await page.request.get('/config.json')).json()) as Record<string, string>;
    expect(config).toMatchObject({
      mode: 'remote',
      issuer: topology.publicUrls.idp,
      apiUrl: topology.publicUrls.api,
    });
    await signIn(page, 'linda_baker');
    const answer = await ask(page, 'Show my open tickets');
    await expect(toolCards(answer, 'search_tickets')).toHaveAttribute('data-state', 'ok');
    const own = await tickets(stack.dataDir, 'reporter = $1 AND status = ANY($2)', ['linda_baker', OPEN]);
    expect(own.length, 'linda_baker has open tickets in the demo set').toBeGreaterThan(0);
    const shown = ticketNumbers(await answer.locator('.markdown').innerText());
    expect(shown.length, 'the answer lists tickets').toBeGreaterThan(0);
    const ownNumbers = new Set(own.map((t) => t.number));
    expect(
      shown.filter((n) => !ownNumbers.has(n)),
      'only her own open tickets',
    ).toEqual([]);
    await context.close();
  } finally {
    proc.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
