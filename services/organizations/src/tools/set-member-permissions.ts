import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import { isAdmin, notFound, visibleOrganization, type Ctx } from '../access.js';
import { orgRef, permission, username, wellFormed } from '../inputs.js';

/** Registered for administrators only (see server.ts): for anyone else the tool does not exist. */
export const setMemberPermissions = defineTool({
  name: 'set_member_permissions',
  title: 'Set member permissions',
  description:
    "Replaces the permissions of one member of an organization with exactly the given set (administrators only). The change and its reason go to the organization's event log.",
  input: {
    organization: orgRef,
    username,
    permissions: z
      .array(permission, { invalid_type_error: 'must be a list of permission names' })
      .max(20, 'must have at most 20 entries')
      .describe('The complete new set; an empty list removes every permission'),
    reason: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .refine(wellFormed, 'is not well-formed Unicode (half of a surrogate pair)')
      .optional()
      .describe('Why, for the event log'),
  },
  output: {
    organization: z.string(),
    username: z.string(),
    before: z.array(permission),
    after: z.array(permission),
    added: z.array(permission),
    removed: z.array(permission),
    changed: z.boolean(),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  scope: SCOPES.orgsWrite,
  write: true,
  offeredTo: isAdmin,
  handler: async ({ organization, username: user, permissions, reason }, ctx: Ctx) => {
    const org = await visibleOrganization(ctx, organization);
    const r = await ctx.store.setPermissions(org, user, permissions, ctx.principal.username, reason);
    if (!r) throw notFound(`member "${user}" of ${org.name}`);
    const added = r.after.filter((p) => !r.before.includes(p));
    const removed = r.before.filter((p) => !r.after.includes(p));
    const text = r.changed
      ? `Permissions of ${r.member.name} (${r.member.username}) in ${org.name} are now: ${r.after.join(', ') || 'none'}` +
        `${added.length ? `\nAdded: ${added.join(', ')}` : ''}${removed.length ? `\nRemoved: ${removed.join(', ')}` : ''}`
      : `No change: ${r.member.name} (${r.member.username}) already has exactly ${r.after.join(', ') || 'no permissions'}.`;
    return {
      structured: {
        organization: org.slug,
        username: r.member.username,
        before: r.before,
        after: r.after,
        added,
        removed,
        changed: r.changed,
      },
      text: text,
    };
  },
});
