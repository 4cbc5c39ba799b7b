/**
 * The conversation store on both backends (the SQLite file; PostgreSQL through MSI_TEST_DATABASE_URL, a
 * fresh database for this file): owners see only their own conversations, a turn is stored in one piece,
 * title search, history, approvals (with the approval policy's rules, edited arguments and automatic
 * approvals, the same rows on both backends), and an existing SQLite data dir keeps its rows and schema versions.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@msi/kit';
import { backends, freshDatabase, pgQuery, type FreshDatabase } from '../../../test/support/database.js';
import { tempDataDir } from '../../../test/support/data-dir.js';
import {
  conversationMigrations,
  createConversationStore,
  type ConversationStore,
  type ConversationTables,
} from '../src/conversations/store.js';
import { createApprovalPolicy, type ApprovalPolicyTables } from '../src/agent/approval-policy.js';

const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe.each(backends())('conversation store on %s', (backend) => {
  let pgdb: FreshDatabase | undefined;
  const temp = tempDataDir('msi-conv-store-');
  let raw: Store<ConversationTables>;
  let store: ConversationStore;
  /** A new owner per test: the tests share one database. */
  const owner = () => `u-${randomUUID()}`;

  beforeAll(async () => {
    if (backend === 'postgres') pgdb = await freshDatabase('api_conv');
    raw = await openStore<ConversationTables>({
      service: 'api',
      url: pgdb?.url,
      file: join(temp.dir, 'api', 'api.sqlite'),
      migrations: conversationMigrations,
    });
    store = createConversationStore(raw);
  });
  afterAll(async () => {
    await raw?.close();
    await pgdb?.drop();
    temp.cleanup();
  });

  it('keeps conversations per owner and stores a turn in one piece', async () => {
    const alice = owner();
    const bob = owner();
    const c = await store.create(alice);
    await store.addUserMessage(c.id, 'What is 100% of my tickets_x?');
    await store.saveAssistantMessage(c.id, {
      content: 'Answer',
      status: 'complete',
      provider: 'offline',
      usage: { promptTokens: 12, completionTokens: 3 },
      toolCalls: [
        {
          callId: randomUUID(),
          server: 'ticketing',
          tool: 'search_tickets',
          args: { a: 1 },
          ok: true,
          result: { n: 1 },
          ms: 3,
        },
        {
          callId: randomUUID(),
          server: 'ticketing',
          tool: 'update_ticket',
          args: { b: 2 },
          ok: false,
          error: 'declined',
          ms: 0,
          approval: { approvalId: 'ap1', decision: 'denied' },
        },
      ],
      citations: [{ documentId: 'd', chunkId: 'k', title: 'T', section: 'S', snippet: 'x', score: 0.5 }],
    });
    expect(await store.get(bob, c.id)).toBeUndefined();
    expect(await store.summary(bob, c.id)).toBeUndefined();
    expect(await store.rename(bob, c.id, 'x')).toBeUndefined();
    expect(await store.remove(bob, c.id)).toBe(false);
    const d = (await store.get(alice, c.id))!;
    expect(d.title).toBe('What is 100% of my tickets_x?');
    expect(d.messageCount).toBe(2);
    expect(d.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(d.messages[1]!.usage).toEqual({ promptTokens: 12, completionTokens: 3 });
    expect(d.messages[1]!.toolCalls.map((t) => t.tool)).toEqual(['search_tickets', 'update_ticket']);
    expect(d.messages[1]!.toolCalls[0]).toMatchObject({ ok: true, result: { n: 1 }, ms: 3 });
    expect(d.messages[1]!.toolCalls[1]).toMatchObject({
      ok: false,
      error: 'declined',
      approval: { approvalId: 'ap1', decision: 'denied' },
    });
    expect(d.messages[1]!.citations).toEqual([
      { documentId: 'd', chunkId: 'k', title: 'T', section: 'S', snippet: 'x', score: 0.5 },
    ]);
    expect(d.updatedAt >= d.createdAt).toBe(true);
    expect(await store.list(bob)).toEqual([]);
    expect(await store.remove(alice, c.id)).toBe(true);
    expect(await store.get(alice, c.id)).toBeUndefined();
  });

  it('searches titles case-insensitively, with % _ and \\ matching themselves', async () => {
    const who = owner();
    for (const t of ['Firmware 100% done', 'firmware_rollout', 'Dock C:\\path', 'Other'])
      await store.create(who, t);
    const titles = async (q: string) => (await store.list(who, q)).map((c) => c.title).sort();
    expect(await titles('FIRMWARE')).toEqual(['Firmware 100% done', 'firmware_rollout']);
    expect(await titles('100%')).toEqual(['Firmware 100% done']);
    expect(await titles('50%')).toEqual([]);
    expect(await titles('e_r')).toEqual(['firmware_rollout']);
    expect(await titles('C:\\p')).toEqual(['Dock C:\\path']);
    expect(await store.list(owner(), 'firmware')).toEqual([]);
  });

  it('lists the most recently active first and names a new conversation after its first message', async () => {
    // Times are kept to the millisecond: a tick between steps makes "most recent" unambiguous.
    const tick = () => new Promise((r) => setTimeout(r, 3));
    const who = owner();
    const a = await store.create(who);
    await tick();
    const b = await store.create(who, 'Kept title');
    expect((await store.list(who)).map((c) => c.id)).toEqual([b.id, a.id]);
    await store.addUserMessage(a.id, `  How   do I\nroll back firmware?  `);
    await tick();
    await store.addUserMessage(b.id, 'Something else');
    await tick();
    await store.addUserMessage(a.id, 'A second question');
    const list = await store.list(who);
    expect(list.map((c) => [c.title, c.messageCount])).toEqual([
      ['How do I roll back firmware?', 2],
      ['Kept title', 1],
    ]);
    expect((await store.list(who, undefined, 1)).length).toBe(1);
    await tick();
    const renamed = (await store.rename(who, b.id, 'Renamed'))!;
    expect(renamed.title).toBe('Renamed');
    expect((await store.list(who))[0]!.id).toBe(b.id);
  });

  it('gives the last messages with text, oldest first, as the history', async () => {
    const c = await store.create(owner());
    for (let i = 1; i <= 5; i++) {
      await store.addUserMessage(c.id, `q${i}`);
      await store.saveAssistantMessage(c.id, {
        content: i === 3 ? '' : `a${i}`,
        status: i === 3 ? 'cancelled' : 'complete',
        toolCalls: [],
        citations: [],
      });
    }
    expect((await store.history(c.id, 4)).map((m) => m.content)).toEqual(['q4', 'a4', 'q5', 'a5']);
    expect((await store.history(c.id, 6)).map((m) => m.content)).toEqual([
      'a2',
      'q3',
      'q4',
      'a4',
      'q5',
      'a5',
    ]);
  });

  it('records approvals and their decision once; deleting the conversation removes everything', async () => {
    const who = owner();
    const c = await store.create(who);
    await store.addUserMessage(c.id, 'close ticket 7');
    const approvalId = randomUUID();
    await store.recordApproval({
      approvalId,
      owner: who,
      conversationId: c.id,
      callId: 'call-1',
      tool: 'update_ticket',
      args: { number: 7, status: 'closed' },
      summary: 'Update ticket — number: 7',
    });
    await store.decideApproval(approvalId, 'approved');
    await store.decideApproval(approvalId, 'denied'); // already decided: stays approved
    await store.saveAssistantMessage(c.id, {
      content: 'Done',
      status: 'complete',
      toolCalls: [{ callId: randomUUID(), server: 'ticketing', tool: 'update_ticket', args: {}, ok: true }],
      citations: [{ documentId: 'd', chunkId: 'k', title: 'T', section: 'S', snippet: 'x', score: 1 }],
    });
    const rows = async (table: string) =>
      backend === 'postgres'
        ? await pgQuery<{ n: string }>(pgdb!.url, `SELECT count(*) AS n FROM ${table}`)
        : sqliteRows(table);
    const sqliteRows = (table: string) => {
      const db = new Database(join(temp.dir, 'api', 'api.sqlite'), { readonly: true });
      try {
        return db.prepare(`SELECT count(*) AS n FROM ${table}`).all() as { n: number }[];
      } finally {
        db.close();
      }
    };
    const decision =
      backend === 'postgres'
        ? (
            await pgQuery<{ decision: string }>(pgdb!.url, 'SELECT decision FROM approvals WHERE id = $1', [
              approvalId,
            ])
          )[0]
        : (() => {
            const db = new Database(join(temp.dir, 'api', 'api.sqlite'), { readonly: true });
            try {
              return db.prepare('SELECT decision FROM approvals WHERE id = ?').get(approvalId) as {
                decision: string;
              };
            } finally {
              db.close();
            }
          })();
    expect(decision?.decision).toBe('approved');
    const before = Number((await rows('approvals'))[0]!.n);
    expect(await store.remove(who, c.id)).toBe(true);
    expect(Number((await rows('approvals'))[0]!.n)).toBe(before - 1);
  });

  it('keeps what the approval policy adds: rules per conversation, always-ask, edits and auto-approvals', async () => {
    const who = owner();
    const c = await store.create(who);
    await store.addUserMessage(c.id, 'comment on 7');
    const policy = createApprovalPolicy(raw as unknown as Store<ApprovalPolicyTables>);
    const alex = { sub: `sub-${who}`, username: 'alex_agent', name: 'Alex Rivera', roles: ['agent'] };
    const args = { number: 'TCK-7', body: 'hi' };
    expect(await policy.auto(c.id, 'add_comment', args)).toBeUndefined();
    await policy.remember(c.id, 'conversation:add_comment', alex as never);
    await policy.remember(c.id, 'conversation:add_comment', alex as never); // once
    const auto = (await policy.auto(c.id, 'add_comment', args))!;
    expect(auto).toMatchObject({ rule: 'conversation:add_comment', grantedBy: alex.sub });
    expect(auto.grantedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(auto.label).toMatch(/^Comments allowed for this conversation by Alex Rivera at /);
    expect(await policy.auto(c.id, 'set_member_permissions', {})).toBeUndefined();

    // An automatic approval is recorded approved, with its rule; an edited one keeps what ran.
    const autoId = randomUUID();
    await store.recordApproval({
      approvalId: autoId,
      owner: who,
      conversationId: c.id,
      callId: 'call-a',
      tool: 'add_comment',
      args,
      summary: 'Comment',
      rule: auto.rule,
    });
    const editedId = randomUUID();
    await store.recordApproval({
      approvalId: editedId,
      owner: who,
      conversationId: c.id,
      callId: 'call-b',
      tool: 'add_comment',
      args,
      summary: 'Comment',
    });
    await store.decideApproval(editedId, 'approved', {
      sentArgs: { number: 'TCK-7', body: 'edited' },
      rule: 'conversation:add_comment',
    });
    const read = async (id: string) => {
      const text = 'SELECT decision, rule, args_json, sent_args_json FROM approvals WHERE id = ';
      if (backend === 'postgres') return (await pgQuery(pgdb!.url, `${text}$1`, [id]))[0];
      const db = new Database(join(temp.dir, 'api', 'api.sqlite'), { readonly: true });
      try {
        return db.prepare(`${text}?`).get(id);
      } finally {
        db.close();
      }
    };
    expect(await read(autoId)).toEqual({
      decision: 'approved',
      rule: 'conversation:add_comment',
      args_json: JSON.stringify(args),
      sent_args_json: null,
    });
    expect(await read(editedId)).toEqual({
      decision: 'approved',
      rule: 'conversation:add_comment',
      args_json: JSON.stringify(args),
      sent_args_json: JSON.stringify({ number: 'TCK-7', body: 'edited' }),
    });
    await store.saveAssistantMessage(c.id, {
      content: 'Done',
      status: 'complete',
      toolCalls: [
        {
          callId: 'call-a',
          server: 'ticketing',
          tool: 'add_comment',
          args,
          ok: true,
          approval: { approvalId: autoId, decision: 'approved', auto },
        },
        {
          callId: 'call-b',
          server: 'ticketing',
          tool: 'add_comment',
          args: { number: 'TCK-7', body: 'edited' },
          ok: true,
          approval: { approvalId: editedId, decision: 'approved', proposed: args },
        },
      ],
      citations: [],
    });
    const calls = (await store.get(who, c.id))!.messages[1]!.toolCalls;
    expect(calls[0]!.approval).toEqual({ approvalId: autoId, decision: 'approved', auto });
    expect(calls[1]!.approval).toEqual({ approvalId: editedId, decision: 'approved', proposed: args });

    // An administrator's always-ask wins over the allowance.
    const admin = { sub: 'sub-admin', username: 'admin', roles: ['admin'] };
    const set = await policy.setAlwaysAsk(['add_comment', 'add_comment', 'update_ticket'], admin as never);
    expect(set).toMatchObject({ alwaysAsk: ['add_comment', 'update_ticket'], updatedBy: 'admin' });
    expect(set.updatedAt).toMatch(/Z$/);
    expect(await policy.auto(c.id, 'add_comment', args)).toBeUndefined();
    expect(await policy.offer('add_comment', args)).toEqual({ alwaysAsk: true, locked: ['number'] });
    expect((await policy.setAlwaysAsk([], admin as never)).alwaysAsk).toEqual([]);
    expect(await policy.offer('add_comment', args)).toMatchObject({
      alwaysAsk: false,
      remember: { rule: 'conversation:add_comment' },
    });

    // Deleting the conversation takes its allowances with it.
    expect(await store.remove(who, c.id)).toBe(true);
    const left =
      backend === 'postgres'
        ? await pgQuery(pgdb!.url, 'SELECT rule FROM approval_rules WHERE conversation_id = $1', [c.id])
        : (() => {
            const db = new Database(join(temp.dir, 'api', 'api.sqlite'), { readonly: true });
            try {
              return db.prepare('SELECT rule FROM approval_rules WHERE conversation_id = ?').all(c.id);
            } finally {
              db.close();
            }
          })();
    expect(left).toEqual([]);
  });

  it('a title cut at an emoji is stored and read back intact', async () => {
    const who = owner();
    const c = await store.create(who);
    await store.addUserMessage(c.id, `${'a'.repeat(56)}🚓${'b'.repeat(10)}`);
    const title = (await store.get(who, c.id))!.title;
    expect(title).not.toContain('\uFFFD');
    expect(wellFormed(title)).toBe(true);
    expect(title).toBe(`${'a'.repeat(56)}…`);
  });
});

describe('conversation store: an existing SQLite data dir', () => {
  it('keeps its rows and its schema version (module main, version 1)', async () => {
    const temp = tempDataDir('msi-conv-old-');
    try {
      // A data dir as the previous build left it: the same SQL, applied by the kit's old migration runner.
      const file = join(temp.dir, 'api', 'api.sqlite');
      mkdirSync(join(temp.dir, 'api'));
      const old = new Database(file);
      old.exec(conversationMigrations[0]!.sqlite as string);
      old.exec('CREATE TABLE schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      old.prepare(`INSERT INTO schema_migrations VALUES ('main', 1)`).run();
      old
        .prepare(
          `INSERT INTO conversations VALUES ('c1', 'alice', 'Old one', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
        )
        .run();
      old.close();
      const raw = await openStore<ConversationTables>({
        service: 'api',
        file,
        migrations: conversationMigrations,
      });
      expect(raw.wasCreated).toBe(false);
      const store = createConversationStore(raw);
      expect((await store.list('alice')).map((c) => c.title)).toEqual(['Old one']);
      await store.addUserMessage('c1', 'still works');
      expect((await store.get('alice', 'c1'))!.messageCount).toBe(1);
      await raw.close();
    } finally {
      temp.cleanup();
    }
  });
});
