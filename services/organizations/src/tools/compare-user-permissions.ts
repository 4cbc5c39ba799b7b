import { z } from 'zod';
import { SCOPES, ToolError, defineTool } from '@msi/kit';
import { notFound, organizationWithMembers, type Ctx } from '../access.js';
import { memberOut, orgRef, permission, username } from '../inputs.js';
import { MEMBER_PERMISSIONS } from '../model.js';
import type { Member } from '../store/index.js';

const row = z.object({ permission, grantedTo: z.array(z.string()), missing: z.array(z.string()) });

export const compareUserPermissions = defineTool({
  name: 'compare_user_permissions',
  title: 'Compare user permissions',
  description:
    'Compares the permissions of two or more members of one organization: who has which permission, what they share, and where they differ.',
  input: {
    organization: orgRef,
    usernames: z
      .array(username, { invalid_type_error: 'must be a list of usernames' })
      .min(2, 'name at least two members')
      .max(20, 'name at most 20 members')
      .describe('Usernames of members of that organization'),
  },
  output: {
    organization: z.string(),
    members: z.array(memberOut),
    permissions: z.array(row).describe('Every permission: who has it and who does not'),
    common: z.array(permission).describe('Permissions every named member has'),
    differences: z.array(row).describe('Permissions some but not all named members have'),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.orgsRead,
  write: false,
  handler: async ({ organization, usernames }, ctx: Ctx) => {
    const seen = new Set<string>();
    for (const u of usernames) {
      if (seen.has(u.toLowerCase())) throw new ToolError(`usernames: ${u} is named twice`);
      seen.add(u.toLowerCase());
    }
    const org = await organizationWithMembers(ctx, organization);
    const members: Member[] = [];
    for (const u of usernames) {
      const m = await ctx.store.member(org.id, u);
      if (!m) throw notFound(`member "${u}" of ${org.name}`);
      const { id: _id, ...member } = m;
      members.push(member);
    }
    const permissions = MEMBER_PERMISSIONS.map((p) => ({
      permission: p,
      grantedTo: members.filter((m) => m.permissions.includes(p)).map((m) => m.username),
      missing: members.filter((m) => !m.permissions.includes(p)).map((m) => m.username),
    }));
    const common = permissions.filter((r) => r.missing.length === 0).map((r) => r.permission);
    const differences = permissions.filter((r) => r.grantedTo.length > 0 && r.missing.length > 0);
    const text = [
      `Permissions of ${members.map((m) => m.username).join(', ')} in ${org.name}:`,
      ...members.map((m) => `- ${m.name} (${m.username}), ${m.title}: ${m.permissions.join(', ') || 'none'}`),
      `In common: ${common.join(', ') || 'nothing'}`,
      differences.length
        ? `Differences:\n${differences.map((d) => `- ${d.permission}: ${d.grantedTo.join(', ')} has it; ${d.missing.join(', ')} not`).join('\n')}`
        : 'No differences.',
    ].join('\n');
    return { structured: { organization: org.slug, members, permissions, common, differences }, text: text };
  },
});
