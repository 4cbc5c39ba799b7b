/**
 * The tools one person may use in a turn: those the MCP servers list for them (with their rights), plus
 * the documentation search this API answers itself from the knowledge base.
 */
import { z } from 'zod';
import type { Citation, McpServerName, ToolInfo } from './contract.js';
import type { McpSession, RemoteTool, ToolOutcome } from './mcp-clients.js';

/** What the agent needs from the knowledge base. */
export interface DocumentSearch {
  /** `note`: why the results are full-text only (the vector store did not answer), for the person. */
  searchWithNote(query: string, k?: number): Promise<{ citations: Citation[]; note?: string }>;
  passage(chunkId: string): Promise<{ text: string } | undefined>;
}

/** A tool a server lists, or the documentation search; `inputSchema` is the JSON Schema of the arguments. */
export interface AgentTool extends Omit<RemoteTool, 'server'> {
  server: McpServerName | 'knowledge';
  /** Changes data: each call waits for the person's approval. */
  requiresApproval: boolean;
}

export interface ToolResult extends ToolOutcome {
  citations?: Citation[];
}

export const DOC_SEARCH_TOOL = 'search_documentation';
const docArgs = z
  .object({
    query: z
      .string()
      .trim()
      .min(1, 'query must not be empty')
      .max(500, 'query must be at most 500 characters'),
    k: z.number().int().min(1).max(10).optional(),
  })
  .strict();

const docTool: AgentTool = {
  server: 'knowledge',
  name: DOC_SEARCH_TOOL,
  title: 'Search the product documentation',
  description:
    'Searches the product documentation (admin guides, troubleshooting, how-tos for body cameras, in-car video, ' +
    'evidence management and Aware). Returns the best matching passages with their document and section; ' +
    'cite them in the answer.',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'What to look for, in plain words' },
      k: { type: 'integer', minimum: 1, maximum: 10, description: 'How many passages (default 5)' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  readOnly: true,
  destructive: false,
  requiresApproval: false,
};

export interface Toolbox {
  list(): Promise<AgentTool[]>;
  find(name: string): Promise<AgentTool | undefined>;
  /**
   * Why a tool of this name is not in the list (after list()): the service it needs that could not be
   * reached or did not answer, else that this person has no such tool.
   */
  missing(name: string): string;
  run(tool: AgentTool, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
}

/** A person's toolbox for one request, over their MCP session. */
export function createToolbox(mcp: McpSession, docs: DocumentSearch): Toolbox {
  let tools: Promise<AgentTool[]> | undefined;
  let listed: AgentTool[] = [];
  const list = () =>
    (tools ??= mcp
      .listTools()
      .then(
        (remote) => (listed = [...remote.map((t) => ({ ...t, requiresApproval: !t.readOnly })), docTool]),
      ));
  return {
    list,
    async find(name) {
      return (await list()).find((t) => t.name === name);
    },
    missing(name) {
      const down = mcp.unavailable();
      const owner = mcp.serverOf(name);
      const why = down.filter((d) => !owner || d.server === owner).map((d) => d.message);
      if (why.length) return `${why.join('; ')}, so ${name} could not be used`;
      return `there is no tool named ${name} for this person; available: ${listed.map((t) => t.name).join(', ')}`;
    },
    async run(tool, args, signal) {
      if (tool.server !== 'knowledge') return mcp.call(tool.server, tool.name, args, signal);
      const parsed = docArgs.safeParse(args);
      if (!parsed.success) {
        return {
          ok: false,
          error: `invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
        };
      }
      try {
        const { citations, note } = await docs.searchWithNote(parsed.data.query, parsed.data.k ?? 5);
        const results = await Promise.all(
          citations.map(async (c) => ({
            documentId: c.documentId,
            chunkId: c.chunkId,
            title: c.title,
            section: c.section,
            score: c.score,
            text: ((await docs.passage(c.chunkId))?.text ?? c.snippet).slice(0, 2000),
          })),
        );
        return {
          ok: true,
          result: { query: parsed.data.query, ...(note ? { note } : {}), results },
          citations,
        };
      } catch (err) {
        return { ok: false, error: `documentation search failed: ${(err as Error).message}` };
      }
    },
  };
}

export function toolInfo(t: AgentTool): ToolInfo {
  return {
    server: t.server,
    name: t.name,
    title: t.title,
    description: t.description,
    readOnly: t.readOnly,
    destructive: t.destructive,
    requiresApproval: t.requiresApproval,
  };
}
