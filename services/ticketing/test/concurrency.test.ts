/**
 * Several instances on one store, as production runs them: two real ticketing processes on the same
 * database (on SQLite the same file), called at the same time. Ticket numbers stay unique, and two agents
 * changing one ticket at once lose neither change nor its event.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../../test/support/services.js';
import { backends, call, connect, errorText, startHarness, type Harness } from './harness.js';

describe.each(backends())('two ticketing processes on one %s store', (backend) => {
  let stack: Harness;
  let second: RunningService;
  /** [first process, second process] as the same person. */
  let admins: [Client, Client];
  let agents: [Client, Client];

  beforeAll(async () => {
    stack = await startHarness({ SEED_TICKETS: '30' }, backend);
    // The same audience (PUBLIC_URL) as the first: one service, two instances.
    second = await startService('ticketing', { ...stack.env, PUBLIC_URL: stack.ticketing.url });
    const both = async (username: string): Promise<[Client, Client]> => {
      const token = await stack.token(username);
      return [await connect(stack.ticketing.url, token), await connect(second.url, token)];
    };
    admins = await both('admin');
    agents = await both('alex_agent');
  });
  afterAll(async () => {
    await Promise.allSettled([...(admins ?? []), ...(agents ?? [])].map((c) => c.close()));
    await second?.stop();
    await stack?.stop();
  });

  it('parallel creates on both processes get distinct numbers, each with its one created event', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        call(admins[i % 2]!, 'create_ticket', {
          org: 'dallas-police',
          title: `Parallel create ${i}`,
          description: `Created by process ${i % 2}.`,
        }),
      ),
    );
    for (const r of results) expect(r.isError, errorText(r)).toBeFalsy();
    const numbers = results.map((r) => (r.structuredContent!.ticket as { number: string }).number);
    expect(new Set(numbers).size).toBe(24);
    const ids = numbers.map((n) => Number(n.slice(4)));
    const created = await stack.query<{ ticket_id: number; n: number }>(
      `SELECT ticket_id, count(*) AS n FROM events WHERE action = 'created' AND ticket_id IN (${ids
        .map(() => '?')
        .join(', ')}) GROUP BY ticket_id`,
      ...ids,
    );
    expect(created).toHaveLength(24);
    expect(created.every((c) => c.n === 1)).toBe(true);
    // Numbers follow on from the seeded ones without gaps.
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => 1031 + i));
  });

  it('two agents changing one ticket at once on different processes lose neither change nor its event', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(admins[0], 'create_ticket', {
        org: 'dallas-police',
        title: `Contended ${i}`,
        description: 'Changed by two agents at once.',
      });
      tickets.push((r.structuredContent!.ticket as { number: string }).number);
    }
    // On every ticket at the same moment: one process changes the priority, the other the status,
    // and both add a comment.
    const results = await Promise.all(
      tickets.flatMap((number) => [
        call(agents[0], 'update_ticket', { number, priority: 'urgent' }),
        call(agents[1], 'update_ticket', { number, status: 'in_progress' }),
        call(agents[0], 'add_comment', { number, body: `First agent on ${number}` }),
        call(agents[1], 'add_comment', { number, body: `Second agent on ${number}` }),
      ]),
    );
    for (const r of results) expect(r.isError, errorText(r)).toBeFalsy();
    for (const number of tickets) {
      const id = Number(number.slice(4));
      const [row] = await stack.query<{ priority: string; status: string }>(
        'SELECT priority, status FROM tickets WHERE id = ?',
        id,
      );
      expect(row).toEqual({ priority: 'urgent', status: 'in_progress' });
      const events = await stack.query<{ action: string }>(
        'SELECT action FROM events WHERE ticket_id = ? ORDER BY id',
        id,
      );
      expect(events.map((e) => e.action).sort()).toEqual([
        'commented',
        'commented',
        'created',
        'updated',
        'updated',
      ]);
      const comments = await stack.query('SELECT body FROM comments WHERE ticket_id = ?', id);
      expect(comments).toHaveLength(2);
      // The search entry has both comments (each reindex saw the other's committed comment).
      for (const who of ['First', 'Second']) {
        const found = await call(admins[1], 'search_tickets', { text: `${who} agent ${number}` });
        expect((found.structuredContent!.tickets as { number: string }[]).map((t) => t.number)).toContain(
          number,
        );
      }
    }
  });
});
