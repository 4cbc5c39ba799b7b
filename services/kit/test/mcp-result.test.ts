import { describe, expect, it } from 'vitest';
import { ToolError, guardTool, toolResult } from '../src/mcp-result.js';

describe('tool results', () => {
  it('toolResult carries structured content and text', () => {
    expect(toolResult({ n: 1 }, 'one')).toEqual({
      structuredContent: { n: 1 },
      content: [{ type: 'text', text: 'one' }],
    });
  });

  it('guardTool passes results and ToolErrors through, and hides and logs anything else', async () => {
    const logged: object[] = [];
    const log = { error: (obj: object) => logged.push(obj) };
    expect(await guardTool(log, { tool: 't' }, async (x: number) => x + 1)(1)).toBe(2);
    await expect(
      guardTool(log, { tool: 't' }, () => Promise.reject(new ToolError('ticket X not found')))(),
    ).rejects.toThrow(/^ticket X not found$/);
    expect(logged).toEqual([]);
    const internal = guardTool(log, { tool: 'get_ticket', caller: 'alex_agent' }, () => {
      throw new Error('SQLITE_CORRUPT: database disk image is malformed at /secret/path');
    });
    const err = await internal().catch((e: Error) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toBe('get_ticket failed with an internal error; see the service log');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ tool: 'get_ticket', caller: 'alex_agent' });
  });
});
