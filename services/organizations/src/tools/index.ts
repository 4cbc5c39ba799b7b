/**
 * Every tool of the organizations server, one definition per file. Loading this list loads zod but not the
 * MCP SDK; main.ts loads it after listening (for the scopes each call needs) and server.ts registers it.
 */
import { toolScopes, type AnyTool } from '@msi/kit';
import type { Ctx } from '../access.js';
import { compareUserPermissions } from './compare-user-permissions.js';
import { getOrganization } from './get-organization.js';
import { getOrganizationUsers } from './get-organization-users.js';
import { listOrganizations } from './list-organizations.js';
import { setMemberPermissions } from './set-member-permissions.js';

export const TOOLS: readonly AnyTool<Ctx>[] = [
  listOrganizations,
  getOrganization,
  getOrganizationUsers,
  compareUserPermissions,
  setMemberPermissions,
];

export const TOOL_SCOPES = toolScopes(TOOLS);
