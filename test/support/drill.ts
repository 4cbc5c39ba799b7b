/**
 * The disaster-recovery drill of docs/disaster-recovery.md, on this machine, for the DR test and
 * `npm run bench -- dr`: data made through the real services (`makeDrillData`), backups taken with
 * `scripts/backup.mjs` (`backupCli`), then `recover()`: the seed's six steps against new infrastructure
 * (a fresh PostgreSQL cluster by initdb on another port, a fresh data dir and Chroma), timed from
 * "disaster declared" to "the journey passes" (the RTO). `journey()` is step 6: sign in for real, the
 * home's ticket queue, a ticket search finding the drill ticket, the conversation, and a document
 * search; it throws naming what did not come back.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { call, sendMessage } from './api-client.js';
import { startBackend, type Backend, type DatabaseUrls } from './backend.js';
import { tempDataDir, type ServiceWithDb } from './data-dir.js';
import { resourceToken } from './idp.js';
import { callTool, connectMcp } from './mcp.js';
import { startCluster, type Cluster } from './replica.js';
import { ROOT } from './services.js';

/** What the drill made before the disaster, to find again after it. */
export interface DrillData {
  /** The ticket's number; assigned to alex_agent (their queue on the home page counts it). */
  ticket: string;
  /** A word of the ticket's title no seeded ticket has. */
  ticketWord: string;
  conversation: string;
  document: string;
}

/** The document the drill uploads, and what a search for it asks. */
export const DRILL_DOCUMENT = {
  filename: 'quokka-calibration.md',
  content:
    '# Quokka calibration\n\nThe quokka firmware calibration procedure: hold the record button for ten seconds, then dock the camera.\n',
  query: 'quokka firmware calibration procedure',
};

const mcpAs = async (b: Backend, server: 'ticketing', username: string) =>
  connectMcp(`${b[server].url}/mcp`, await resourceToken(b.idp.issuer, username, b[server].url));

/** A ticket titled with `word` for dallas-police by sam_supervisor, assigned to alex_agent. */
export async function makeTicket(b: Backend, word: string): Promise<string> {
  const sam = await mcpAs(b, 'ticketing', 'sam_supervisor');
  try {
    const created = await callTool(sam, 'create_ticket', {
      org: 'dallas-police',
      title: `Drill ${word}: docking station offline`,
      description: 'DS-8 in the sally port shows no network after the switch swap.',
      priority: 'high',
    });
    if (created.isError) throw new Error(`create_ticket: ${JSON.stringify(created.content)}`);
    const ticket = String((created.structuredContent!.ticket as { number: string | number }).number);
    const assigned = await callTool(sam, 'update_ticket', { number: ticket, assignee: 'alex_agent' });
    if (assigned.isError) throw new Error(`update_ticket: ${JSON.stringify(assigned.content)}`);
    return ticket;
  } finally {
    await sam.close();
  }
}

/** A ticket, a conversation with a turn, and an uploaded document (its vectors in Chroma), made for real. */
export async function makeDrillData(b: Backend, ticketWord: string): Promise<DrillData> {
  const ticket = await makeTicket(b, ticketWord);
  const agent = await b.login('alex_agent');
  const conv = await call<{ id: string }>(b.api.url, agent, 'POST', '/api/conversations', {});
  const turn = await sendMessage(b.api.url, agent, conv.body.id, 'Show my tickets');
  if (turn.status !== 200) throw new Error(`the drill's message answered ${turn.status}`);
  const up = await call<{ id: string }>(b.api.url, agent, 'POST', '/api/knowledge/documents', {
    filename: DRILL_DOCUMENT.filename,
    content: DRILL_DOCUMENT.content,
  });
  if (up.status >= 300) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body)}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await call<{ status: string }>(
      b.api.url,
      agent,
      'GET',
      `/api/knowledge/documents/${up.body.id}`,
    );
    if (d.body.status === 'ready') break;
    if (d.body.status === 'failed' || Date.now() > deadline)
      throw new Error(`the drill's document did not become ready (${d.body.status})`);
    await new Promise((r) => setTimeout(r, 100)); // ingestion runs in the API; there is no event to wait on
  }
  return { ticket, ticketWord, conversation: conv.body.id, document: up.body.id };
}

/** `node scripts/backup.mjs ARGS`; resolves with its stderr (its report), rejects naming its exit. */
export function backupCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'scripts', 'backup.mjs'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`backup.mjs ${args[0]} failed (exit ${code}): ${err}`)),
    );
  });
}

/** Backs up the running back end into `dir` (one more dated archive); its path. */
export async function takeBackup(b: Backend, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  await backupCli([
    'backup',
    '--out',
    dir,
    ...Object.entries(b.databaseUrls).flatMap(([s, u]) => ['--db', `${s}=${u}`]),
    '--data-dir',
    b.dataDir,
  ]);
  const made = readdirSync(dir).filter((f) => f.endsWith('.tar.gz') && !before.has(f));
  if (made.length !== 1) throw new Error(`expected one new archive in ${dir}, found ${made.join(', ')}`);
  return join(dir, made[0]!);
}

/** The newest archive in `dir` (their names sort by time: msi-backup-YYYYMMDDTHHMMSSZ.tar.gz). */
export function latestBackup(dir: string): string {
  const all = readdirSync(dir)
    .filter((f) => /^msi-backup-\d{8}T\d{6}Z\.tar\.gz$/.test(f))
    .sort();
  if (all.length === 0) throw new Error(`no backup archive in ${dir}`);
  return join(dir, all[all.length - 1]!);
}

export interface JourneyResult {
  /** The ticket numbers of alex_agent's queue on the home page (one page), and how many there are. */
  queue: string[];
  queueTotal: number;
  /** The tickets alex_agent's search for the drill ticket's word lists. */
  searched: string[];
  ticketTitle: string;
  conversationMessages: number;
  searchTop: string;
}

/** Step 6: what a person sees, signed in for real; throws naming what is missing. */
export async function journey(b: Backend, made: DrillData): Promise<JourneyResult> {
  const agent = await b.login('alex_agent'); // the IDP's login form, password demo
  const home = await call<{
    queue?: { tickets: { number: string | number }[]; total: number };
    unavailable: unknown[];
  }>(b.api.url, agent, 'GET', '/api/home');
  if (home.status !== 200) throw new Error(`GET /api/home answered ${home.status}`);
  if (home.body.unavailable.length) throw new Error(`home: ${JSON.stringify(home.body.unavailable)}`);
  const queue = (home.body.queue?.tickets ?? []).map((t) => String(t.number));
  if (queue.length === 0) throw new Error('the home shows alex_agent no queue');

  const ticketing = await mcpAs(b, 'ticketing', 'alex_agent');
  let ticketTitle: string;
  let searched: string[];
  try {
    const found = await callTool(ticketing, 'search_tickets', { text: made.ticketWord, assignee: 'me' });
    if (found.isError) throw new Error(`search_tickets: ${JSON.stringify(found.content)}`);
    searched = (found.structuredContent!.tickets as { number: string | number }[]).map((t) =>
      String(t.number),
    );
    if (!searched.includes(made.ticket))
      throw new Error(`ticket ${made.ticket} is not among alex_agent's (${searched.join(', ')})`);
    const t = await callTool(ticketing, 'get_ticket', { number: made.ticket });
    if (t.isError) throw new Error(`get_ticket ${made.ticket}: ${JSON.stringify(t.content)}`);
    ticketTitle = String((t.structuredContent!.ticket as { title: string }).title);
  } finally {
    await ticketing.close();
  }
  const conv = await call<{ messages?: unknown[] }>(
    b.api.url,
    agent,
    'GET',
    `/api/conversations/${made.conversation}`,
  );
  if (conv.status !== 200) throw new Error(`conversation ${made.conversation} answered ${conv.status}`);
  const search = await call<{ results: { documentId?: string; title?: string }[] }>(
    b.api.url,
    agent,
    'GET',
    `/api/knowledge/search?q=${encodeURIComponent(DRILL_DOCUMENT.query)}`,
  );
  const top = search.body.results?.[0];
  if (search.status !== 200 || top?.documentId !== made.document)
    throw new Error(`the document search did not find ${made.document}: ${JSON.stringify(search.body)}`);
  return {
    queue,
    queueTotal: home.body.queue?.total ?? 0,
    searched,
    ticketTitle,
    conversationMessages: conv.body.messages?.length ?? 0,
    searchTop: `${top.title ?? ''}`,
  };
}

export interface Recovery {
  /** The back end on the new infrastructure (step 4). */
  backend: Backend;
  /** The new PostgreSQL server (step 1). */
  cluster: Cluster;
  archive: string;
  result: JourneyResult;
  /** Milliseconds of each step, and the RTO: disaster declared → journey passes. */
  ms: { provision: number; restore: number; deploy: number; verify: number; rto: number };
  /** Stops the recovered back end and removes the new server and data dir. */
  cleanup(): Promise<void>;
}

/**
 * The runbook, from "disaster declared" (when this is called: the old back end is gone) to "journey
 * passes". Step 5 (DNS) is the new URLs here: the recovered back end's own ports.
 */
export async function recover(backupDir: string, made: DrillData): Promise<Recovery> {
  const t0 = performance.now();
  const lap = (() => {
    let last = t0;
    return () => {
      const now = performance.now();
      const d = now - last;
      last = now;
      return d;
    };
  })();
  // 1. Provision new infrastructure: an empty PostgreSQL server, an empty data dir (Chroma's included).
  const cluster = await startCluster();
  const data = tempDataDir('msi-dr-');
  let backend: Backend | undefined;
  const cleanup = async () => {
    await backend?.stop();
    await cluster.remove();
    data.cleanup();
  };
  try {
    const provision = lap();
    // 2 + 3. The latest backup: verified, then every database into the new server (created under its
    // original name) and Chroma's data and the IDP's keys into the new data dir.
    const archive = latestBackup(backupDir);
    await backupCli(['verify', archive]);
    const report = await backupCli(['restore', archive, '--server', cluster.url(), '--data-dir', data.dir]);
    if (!/restored \d+ database\(s\)/.test(report)) throw new Error(`restore said: ${report}`);
    const restore = lap();
    // 4. Deploy the application on it: each service's DATABASE_URL names its database on the new server.
    const urls: DatabaseUrls = {};
    for (const [service, database] of Object.entries(databasesIn(archive)))
      urls[service as ServiceWithDb] = cluster.url(database);
    backend = await startBackend({ databaseUrls: urls, dataDir: data.dir });
    const deploy = lap();
    // 5. DNS: clients are pointed at the new endpoints (here: backend.api.url, backend.idp.issuer).
    // 6. Verify functionality.
    const result = await journey(backend, made);
    const verify = lap();
    return {
      backend,
      cluster,
      archive,
      result,
      ms: { provision, restore, deploy, verify, rto: performance.now() - t0 },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Each service's database as the archive's manifest names it (restore --server keeps the names). */
function databasesIn(archive: string): Record<string, string> {
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', archive, 'manifest.json'], { encoding: 'utf8' }),
  ) as { entries: { kind: string; service?: string; database?: string }[] };
  return Object.fromEntries(
    manifest.entries
      .filter((e) => e.kind === 'postgres' && e.service && e.database)
      .map((e) => [e.service!, e.database!]),
  );
}
