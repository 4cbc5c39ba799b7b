/**
 * What main.ts needs to mount /mcp, apart from server.ts so that the tools (and the MCP SDK) are loaded
 * on the first MCP request rather than at start-up.
 */
export const SERVER_NAME = 'msi-organizations';
export const SERVER_VERSION = '0.1.0';
