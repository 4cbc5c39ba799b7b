import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { visibleSlugs, type Ctx } from '../access.js';
import { organizationDetail } from '../tools/get-organization.js';

export const orgUri = (slug: string) => `org://${slug}`;

/** The organization as JSON: what get_organization gives, at `org://dallas-police`. */
export async function organizationJson(ctx: Ctx, ref: string) {
  const detail = await organizationDetail(ctx, ref);
  return {
    uri: orgUri(detail.slug),
    mimeType: 'application/json',
    text: JSON.stringify(detail, null, 2),
  };
}

export function registerOrganizationResource(server: McpServer, ctx: Ctx) {
  const visible = async () => visibleSlugs(ctx.principal) ?? (await ctx.store.allSlugs());
  server.registerResource(
    'organization',
    new ResourceTemplate('org://{slug}', {
      list: async () => ({
        resources: (
          await ctx.store.list({ visible: visibleSlugs(ctx.principal), limit: 1000, offset: 0 })
        ).organizations.map((o) => ({
          uri: orgUri(o.slug),
          name: o.slug,
          title: o.name,
          mimeType: 'application/json',
        })),
      }),
      complete: {
        slug: async (value) => (await visible()).filter((s) => s.startsWith(value.toLowerCase())),
      },
    }),
    {
      title: 'Organization',
      description: 'A customer organization with its deployments and their status (JSON)',
      mimeType: 'application/json',
    },
    async (_uri, { slug }) => ({ contents: [await organizationJson(ctx, decodeURIComponent(String(slug)))] }),
  );
}
