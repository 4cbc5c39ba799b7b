/**
 * The API's MCP gateway against the real ticketing server (and the real IDP for its tokens): what one
 * turn's calls leave behind on the turn's abort signal.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@msi/kit';
import { desktopPrincipal } from '../../../test/support/principal.js';
import { startHarness, type Harness } from '../../ticketing/test/harness.js';
import { createMcpGateway } from '../src/mcp-clients.js';

let stack: Harness;
beforeAll(async () => {
  stack = await startHarness();
});
afterAll(async () => {
  await stack?.stop();
});

const alex = desktopPrincipal('alex_agent', ['agent'], ['dallas-police', 'allen-firestation']);

describe('MCP gateway', () => {
  it('a finished tool call leaves no listener on the turn signal (a later hang-up cancels nothing)', async () => {
    const token = await stack.token('alex_agent');
    const gateway = createMcpGateway({
      servers: [{ name: 'ticketing', url: stack.ticketing.url }],
      exchanger: { tokenFor: async () => token, exchanges: 0 },
      log: createLogger('api-test', 'silent'),
    });
    try {
      const session = gateway.session(alex, 'unused');
      const turn = new AbortController();
      for (let i = 0; i < 12; i++) {
        const r = await session.call('ticketing', 'ticket_stats', {}, turn.signal);
        expect(r.ok).toBe(true);
      }
      expect(getEventListeners(turn.signal, 'abort')).toHaveLength(0);
      // A hung-up turn still cancels its calls.
      turn.abort(new Error('hung up'));
      expect(await session.call('ticketing', 'ticket_stats', {}, turn.signal)).toEqual({
        ok: false,
        error: 'cancelled',
      });
    } finally {
      await gateway.close();
    }
  });
});
