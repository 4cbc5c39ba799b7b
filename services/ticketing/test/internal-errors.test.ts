/**
 * Unexpected failures inside a tool (here: a table gone from the real store under the running server)
 * are logged with the tool, the caller and the error, and answered generically: no SQL reaches the client.
 * Expected errors (not found, bad arguments) still say what was wrong.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends, call, errorText, execDb, startHarness, type Harness } from './harness.js';

describe.each(backends())('a broken table on %s', (backend) => {
  let stack: Harness;
  beforeAll(async () => {
    stack = await startHarness({ SEED_TICKETS: '20' }, backend);
  });
  afterAll(() => stack?.stop());

  it('gives a generic tool error and one log line naming the tool, the caller and the error', async () => {
    const admin = await stack.client('admin');
    const notFound = await call(admin, 'get_ticket', { number: 'TCK-99999' });
    expect(errorText(notFound)).toBe('ticket TCK-99999 not found');

    await execDb(stack.target, 'DROP TABLE events');

    const r = await call(admin, 'add_comment', { number: 'TCK-1001', body: 'Still broken?' });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toBe('add_comment failed with an internal error; see the service log');
    expect(JSON.stringify(r)).not.toMatch(/events|SQLITE|no such table|does not exist|at .*\.js/);

    // The log line is written asynchronously: wait for it a moment.
    await vi.waitFor(() => expect(stack.ticketing.output()).toContain('"tool failed"'), { timeout: 5000 });
    const lines = stack.ticketing
      .output()
      .split('\n')
      .filter((l) => l.includes('"tool failed"'))
      .map(
        (l) => JSON.parse(l) as { tool: string; caller: string; err: { message: string; stack?: string } },
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ tool: 'add_comment', caller: 'admin' });
    expect(lines[0]!.err.message).toMatch(
      backend === 'sqlite' ? /no such table: events/ : /relation "events" does not exist/,
    );
    expect(lines[0]!.err.stack).toBeTruthy();

    // Bad arguments are still answered with what was wrong.
    const bad = await call(admin, 'add_comment', { number: 'TCK-1001', body: '' });
    expect(errorText(bad)).toMatch(/must not be empty at body/);
  });
});
