/**
 * Copilot actions (POST /api/tickets/:number/copilot/:action) against the real IDP, MCP servers, Chroma and
 * API: Basic mode (extractive) and the `openai` provider through the real SDK against the scripted model;
 * the person's own rights (a customer, a ticket of another organization → 404).
 */
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CopilotDraft, CopilotSimilar, CopilotSummary } from '@msi/contracts/api';
import type { RunningService } from '../../../test/support/services.js';
import { call } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import { dbFile, openReadOnly } from '../../../test/support/data-dir.js';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';

let stack: Backend;
let model: ScriptedModel;
let openaiApi: RunningService;
let tickets: Database.Database;
const tokens: Record<string, string> = {};

interface Row {
  number: string;
  title: string;
  org: string;
  reporter: string;
  internal_body: string | null;
}

/** An open ticket of Alex's organizations that has an internal comment; one of Riley's. */
let alexTicket: Row;
let rileyTicket: Row;
let jamesTicket: Row;

const pick = (sql: string, ...params: unknown[]) => tickets.prepare(sql).get(...params) as Row | undefined;
const TICKET = `SELECT 'TCK-' || t.id AS number, t.title, t.org, t.reporter,
  (SELECT body FROM comments c WHERE c.ticket_id = t.id AND c.internal = 1 LIMIT 1) AS internal_body
  FROM tickets t`;

beforeAll(async () => {
  model = await startScriptedModel();
  stack = await startBackend();
  openaiApi = await stack.startApi({
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_MODEL: 'scripted-1',
    EMBEDDING_PROVIDER: 'offline',
  });
  tickets = openReadOnly(dbFile(stack.dataDir, 'ticketing'));
  alexTicket = pick(
    `${TICKET} WHERE t.org = 'dallas-police' AND t.status = 'open'
      AND EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = t.id AND c.internal = 1) ORDER BY t.id LIMIT 1`,
  )!;
  rileyTicket = pick(`${TICKET} WHERE t.org = 'la-city' ORDER BY t.id LIMIT 1`)!;
  jamesTicket = pick(`${TICKET} WHERE t.reporter = 'james_smith' ORDER BY t.id LIMIT 1`)!;
  for (const u of ['james_smith', 'alex_agent', 'sam_supervisor']) tokens[u] = await stack.login(u);
  // The openai API process ingests its own copy of the documentation.
  await waitReady(openaiApi.url);
  await waitReady(stack.api.url);
}, 240_000);
afterAll(async () => {
  tickets?.close();
  await stack?.stop();
  await model?.close();
});

async function waitReady(url: string) {
  const end = Date.now() + 180_000;
  while (Date.now() < end) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    if (r?.ok) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`${url} not ready`);
}

const copilot = <T>(user: string, number: string, action: string, base = stack.api.url) =>
  call<T & { error?: string; message?: string }>(
    base,
    tokens[user]!,
    'POST',
    `/api/tickets/${number}/copilot/${action}`,
  );

describe('Basic mode (offline, extractive)', () => {
  it('summarizes a ticket: problem, what was tried, status, next step, and says it is extractive', async () => {
    const r = await copilot<CopilotSummary>('alex_agent', alexTicket.number, 'summarize');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      action: 'summarize',
      ticket: alexTicket.number,
      provider: 'offline',
      extractive: true,
    });
    expect(r.body.note).toMatch(/Basic mode/);
    expect(r.body.summary.problem).toContain(alexTicket.title);
    expect(r.body.summary.status).toMatch(/priority/);
    expect(r.body.summary.tried.length).toBeGreaterThan(10);
    expect(r.body.summary.nextStep.length).toBeGreaterThan(10);
    expect(r.body.ms).toBeGreaterThanOrEqual(0);
  });

  it('drafts a reply from the documentation with [n] citations, never quoting internal comments', async () => {
    const r = await copilot<CopilotDraft>('alex_agent', alexTicket.number, 'draft_reply');
    expect(r.status).toBe(200);
    expect(r.body.extractive).toBe(true);
    expect(r.body.citations.length).toBeGreaterThan(0);
    expect(r.body.draft).toMatch(/\[1\]/);
    expect(r.body.draft).toContain(alexTicket.number);
    // Every marker names a citation that is there.
    const markers = [...r.body.draft.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(Math.max(...markers)).toBeLessThanOrEqual(r.body.citations.length);
    expect(r.body.draft).toContain('Alex Rivera');
    expect(r.body.draft).toMatch(/\n\nSources:\n\[1\] /);
    expect(alexTicket.internal_body).toBeTruthy();
    expect(r.body.draft).not.toContain(alexTicket.internal_body!.slice(0, 40));
  });

  it('finds resolved tickets like this one, each with its resolution, by both legs', async () => {
    const r = await copilot<CopilotSimilar>('alex_agent', alexTicket.number, 'similar');
    expect(r.status).toBe(200);
    expect(r.body.tickets.length).toBeGreaterThan(0);
    expect(r.body.tickets.length).toBeLessThanOrEqual(5);
    const alexOrgs = ['dallas-police', 'allen-firestation', 'atlanta-police', 'houston-police', 'austin-ems'];
    for (const t of r.body.tickets) {
      expect(t.number).not.toBe(alexTicket.number);
      expect(['resolved', 'closed']).toContain(t.status);
      expect(alexOrgs).toContain(t.organization);
      expect(t.matchedBy.length).toBeGreaterThan(0);
    }
    expect(r.body.tickets.some((t) => t.resolution)).toBe(true);
    const legs = new Set(r.body.tickets.flatMap((t) => t.matchedBy));
    expect(legs).toEqual(new Set(['lexical', 'semantic']));
    // Ranked best first.
    const scores = r.body.tickets.map((t) => t.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('answers 404 for a customer (even on their own ticket) and for a ticket the agent cannot see', async () => {
    const own = await copilot('james_smith', jamesTicket.number, 'summarize');
    expect(own.status).toBe(404);
    expect(own.body.error).toBe('not_found');
    const other = await copilot('alex_agent', rileyTicket.number, 'draft_reply');
    expect(other.status).toBe(404);
    expect(other.body.message).toBe(`ticket ${rileyTicket.number} not found`);
    const missing = await copilot('alex_agent', 'TCK-999999', 'similar');
    expect(missing.status).toBe(404);
    // A supervisor sees every organization.
    expect((await copilot('sam_supervisor', rileyTicket.number, 'summarize')).status).toBe(200);
  });

  it('refuses an unknown action, a malformed number and a missing token', async () => {
    const action = await copilot('alex_agent', alexTicket.number, 'translate');
    expect(action.status).toBe(404);
    expect(action.body.message).toMatch(/summarize, draft_reply, similar/);
    const bad = await copilot('alex_agent', 'DROP-TABLE', 'summarize');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
    const anon = await fetch(`${stack.api.url}/api/tickets/${alexTicket.number}/copilot/summarize`, {
      method: 'POST',
    });
    expect(anon.status).toBe(401);
  });
});

describe('openai provider (scripted model through the openai SDK)', () => {
  it('summarizes with the model from the ticket and documentation it was given', async () => {
    model.setScript(() => ({
      text: '```json\n{"problem": "Cameras die early.", "tried": "Batteries swapped.", "status": "Open, high.", "nextStep": "Push the power profile."}\n```',
    }));
    const before = model.requests.length;
    const r = await copilot<CopilotSummary>('alex_agent', alexTicket.number, 'summarize', openaiApi.url);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      provider: 'openai',
      model: 'scripted-1',
      extractive: false,
      summary: {
        problem: 'Cameras die early.',
        tried: 'Batteries swapped.',
        status: 'Open, high.',
        nextStep: 'Push the power profile.',
      },
    });
    expect(r.body.note).toBeUndefined();
    const req = model.requests[before]!;
    expect(req.tools).toBeUndefined();
    const user = req.messages.find((m) => m.role === 'user')!.content!;
    expect(user).toContain(alexTicket.title);
    expect(user).toContain('<passage n="1"');
    // Staff see internal comments in a summary.
    expect(user).toContain('INTERNAL');
  });

  it('drafts a reply whose citation markers are renumbered to the passages used; no internal comments sent', async () => {
    model.setScript(() => ({
      text: 'Hello,\n\nPlease re-seat the camera in the dock [3]. Then update the firmware [1] [9].\n\nBest regards,\nAlex Rivera',
    }));
    const before = model.requests.length;
    const r = await copilot<CopilotDraft>('alex_agent', alexTicket.number, 'draft_reply', openaiApi.url);
    expect(r.status).toBe(200);
    expect(r.body.extractive).toBe(false);
    expect(r.body.draft).toContain('re-seat the camera in the dock [1]');
    expect(r.body.draft).toContain('update the firmware [2].');
    expect(r.body.citations).toHaveLength(2);
    const user = model.requests[before]!.messages.find((m) => m.role === 'user')!.content!;
    expect(user).not.toContain('INTERNAL');
    expect(user).not.toContain(alexTicket.internal_body!.slice(0, 40));
  });

  it('a model that does not answer with a summary is a 502 model_error', async () => {
    model.setScript(() => ({ text: 'I cannot help with that.' }));
    const r = await copilot('alex_agent', alexTicket.number, 'summarize', openaiApi.url);
    expect(r.status).toBe(502);
    expect(r.body.error).toBe('model_error');
    model.setScript(() => ({ error: { status: 500, message: 'boom' } }));
    const down = await copilot('alex_agent', alexTicket.number, 'draft_reply', openaiApi.url);
    expect(down.status).toBe(502);
    expect(down.body.message).toMatch(/model server failed/);
  });

  it('keeps the person’s rights with the model too: 404 for a customer and another org’s ticket', async () => {
    const before = model.requests.length;
    expect((await copilot('james_smith', jamesTicket.number, 'draft_reply', openaiApi.url)).status).toBe(404);
    expect((await copilot('alex_agent', rileyTicket.number, 'summarize', openaiApi.url)).status).toBe(404);
    expect(model.requests.length).toBe(before);
  });
});
