/**
 * The toolbox's words for a tool that is not in the person's list: the service it needs that could not
 * be listed, else that the person has no such tool (a unit of tools.ts over a session whose list failed).
 */
import { describe, expect, it } from 'vitest';
import type { McpSession, Unavailable } from '../src/mcp-clients.js';
import { createToolbox } from '../src/tools.js';

const docs = { searchWithNote: async () => ({ citations: [] }), passage: () => Promise.resolve(undefined) };
const session = (down: Unavailable[], owners: Record<string, 'ticketing' | 'organizations'>): McpSession => ({
  listTools: async () => [],
  unavailable: () => down,
  serverOf: (tool) => owners[tool],
  call: async () => ({ ok: false, error: 'not called' }),
  close: async () => {},
});

describe('toolbox.missing', () => {
  it('names the service that could not be listed, never "no tool named" then', async () => {
    const box = createToolbox(
      session(
        [
          { server: 'ticketing', message: "The ticket service didn't answer in 10 s" },
          {
            server: 'organizations',
            message: 'The organization service could not be reached (connection refused)',
          },
        ],
        { get_organization: 'organizations' },
      ),
      docs,
    );
    await box.list();
    // A tool whose server is known: only that server's reason.
    expect(box.missing('get_organization')).toBe(
      'The organization service could not be reached (connection refused), so get_organization could not be used',
    );
    // Never listed by anyone: every server that could not be reached.
    expect(box.missing('search_tickets')).toBe(
      "The ticket service didn't answer in 10 s; The organization service could not be reached (connection refused), so search_tickets could not be used",
    );
  });

  it('says the person has no such tool when every service answered', async () => {
    const box = createToolbox(session([], {}), docs);
    await box.list();
    expect(box.missing('drop_tables')).toBe(
      'there is no tool named drop_tables for this person; available: search_documentation',
    );
  });
});
