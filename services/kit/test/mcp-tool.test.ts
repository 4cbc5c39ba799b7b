import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolError } from '../src/mcp-result.js';
import { defineTool, registerTools, toolScopes, writeToolNames, type ToolContext } from '../src/mcp-tool.js';
import type { Principal } from '../src/principal.js';

const person = (over: Partial<Principal> = {}): Principal => ({
  sub: 'u1',
  username: 'alex_agent',
  roles: ['agent'],
  organizations: [],
  scopes: ['things:read', 'things:write'],
  clientId: 'msi-api',
  audience: 'http://x',
  expiresAt: 0,
  isService: false,
  ...over,
});

const read = defineTool({
  name: 'get_thing',
  title: 'Get a thing',
  description: 'One thing',
  input: z.object({ id: z.number().int() }).strict(),
  output: { id: z.number().int(), name: z.string() },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: 'things:read',
  write: false,
  handler: ({ id }) => {
    if (id === 0) throw new ToolError('thing 0 not found');
    if (id === 13) throw new Error('SQLITE_ERROR: no such table: things');
    return { structured: { id, name: `thing ${id}` }, text: `Thing ${id}` };
  },
});
const write = defineTool({
  name: 'delete_thing',
  title: 'Delete a thing',
  description: 'Deletes one',
  input: { id: z.number().int() },
  output: { deleted: z.boolean() },
  annotations: { destructiveHint: true, idempotentHint: true },
  scope: 'things:write',
  write: true,
  offeredTo: (p) => p.roles.includes('admin') || p.roles.includes('agent'),
  handler: () => ({ structured: { deleted: true }, text: 'Deleted.' }),
});

async function connect(principal: Principal) {
  const logged: object[] = [];
  const ctx: ToolContext = { principal, log: { error: (o: object) => logged.push(o) } as never };
  const server = new McpServer({ name: 't', version: '1' });
  registerTools(server, ctx, [read, write]);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(b);
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call, logged };
}
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;

describe('defineTool and registerTools', () => {
  it('lists each tool with readOnlyHint from the write flag, and derives scopes and write tools', async () => {
    const { client } = await connect(person());
    const { tools } = await client.listTools();
    expect(tools.map((t) => [t.name, t.annotations?.readOnlyHint, t.annotations?.destructiveHint])).toEqual([
      ['get_thing', true, false],
      ['delete_thing', false, true],
    ]);
    expect(tools[0]!.outputSchema).toBeTruthy();
    expect(toolScopes([read, write])).toEqual({ get_thing: 'things:read', delete_thing: 'things:write' });
    expect(writeToolNames([read, write])).toEqual(['delete_thing']);
  });

  it('answers with structured content and text; expected errors say what was wrong', async () => {
    const { call, logged } = await connect(person());
    const ok = await call('get_thing', { id: 7 });
    expect(ok.structuredContent).toEqual({ id: 7, name: 'thing 7' });
    expect(text(ok)).toBe('Thing 7');
    expect(text(await call('get_thing', { id: 0 }))).toBe('thing 0 not found');
    const bad = await call('get_thing', { id: 'x' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/id/);
    expect(logged).toEqual([]);
  });

  it('hides an unexpected error from the client and logs it with the tool and the caller', async () => {
    const { call, logged } = await connect(person());
    const r = await call('get_thing', { id: 13 });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe('get_thing failed with an internal error; see the service log');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ tool: 'get_thing', caller: 'alex_agent' });
    expect(String((logged[0] as { err: Error }).err.message)).toContain('no such table');
  });

  it('offers a tool only to whom offeredTo allows, and checks its scope on every call', async () => {
    const customer = await connect(person({ roles: ['customer'] }));
    expect((await customer.client.listTools()).tools.map((t) => t.name)).toEqual(['get_thing']);
    expect(text(await customer.call('delete_thing', { id: 1 }))).toMatch(/delete_thing not found/);
    const readOnly = await connect(person({ scopes: ['things:read'] }));
    expect(text(await readOnly.call('delete_thing', { id: 1 }))).toBe(
      'delete_thing needs the scope things:write',
    );
  });
});
