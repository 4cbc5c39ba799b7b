import { z } from 'zod';
import { SCOPES, defineTool } from '@msi/kit';
import { canSeeMembers, visibleOrganization, type Ctx } from '../access.js';
import { deploymentOut, organizationOut, orgRef } from '../inputs.js';
import { publicOrg, type Deployment, type Organization } from '../store/index.js';

/** The organization with its deployments, as `get_organization` and the `org://` resource give it. */
export async function organizationDetail(ctx: Ctx, ref: string) {
  const org = await visibleOrganization(ctx, ref);
  const membersVisible = await canSeeMembers(ctx, org);
  return {
    ...publicOrg(org),
    deployments: await ctx.store.deployments(org.id),
    membersVisible,
    memberCount: membersVisible ? await ctx.store.memberCount(org.id) : null,
  };
}

export function describeOrganization(
  o: Organization,
  deployments: Deployment[],
  memberCount: number | null,
): string {
  return [
    `${o.name} (${o.slug}${o.legacyName ? `, formerly ${o.legacyName}` : ''})`,
    `Type ${o.type}, region ${o.region}, tier ${o.tier}, customer since ${o.customerSince}`,
    `Overall status: ${o.status}; Aware service: ${o.awareService ?? 'none'}`,
    ...(memberCount !== null ? [`Members: ${memberCount}`] : []),
    'Deployments:',
    ...deployments.map(
      (d) =>
        `- ${d.product} ${d.version}: ${d.status}${d.deviceCount ? `, ${d.deviceCount} devices` : ''}` +
        (d.lastIncident ? ` — last incident ${d.lastIncidentAt?.slice(0, 10)}: ${d.lastIncident}` : ''),
    ),
  ].join('\n');
}

export const getOrganization = defineTool({
  name: 'get_organization',
  title: 'Get organization',
  description:
    'One organization with its product deployments (body cameras, in-car video, evidence management, Aware, docks): status, version, devices, last incident.',
  input: { organization: orgRef },
  output: {
    ...organizationOut.shape,
    deployments: z.array(deploymentOut),
    membersVisible: z.boolean().describe('Whether you may list its members'),
    memberCount: z.number().int().nullable(),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  scope: SCOPES.orgsRead,
  write: false,
  handler: async ({ organization }, ctx: Ctx) => {
    const detail = await organizationDetail(ctx, organization);
    return { structured: detail, text: describeOrganization(detail, detail.deployments, detail.memberCount) };
  },
});
