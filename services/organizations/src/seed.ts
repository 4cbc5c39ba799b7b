/**
 * The deterministic demo set (same seed, same data): every organization of the kit's demo directory with
 * its members (so the IDP's users and the tickets' reporters match), plus product deployments, their
 * status, versions, device counts and incident notes drawn from a seeded PRNG.
 */
import { sql } from 'kysely';
import { prng, type Prng } from '@msi/kit';
import { DEMO_ORGANIZATIONS, demoMembers, type DemoOrganization } from '@msi/kit/demo';
import type { OrgDb } from './db.js';
import type { OrgStatus, Product } from './model.js';

export const DEFAULT_SEED = 1042;
/** Seeded timestamps are relative to this instant, so two seeds with the same number are identical. */
const EPOCH = Date.parse('2025-06-02T09:00:00Z');
const day = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Firmware as firmware-updates.md states it: current V700 4.2.1 (minimum 3.9.0), M500 3.8.0 (3.5.2),
 *  DS-8 2.5.4 (2.3.0); most agencies are current, some lag, a few are below the supported minimum. */
const VERSIONS: Record<Product, string[]> = {
  'V700 Body Camera': ['4.2.1', '4.2.1', '4.2.1', '4.1.0', '4.0.3', '3.8.2'],
  'M500 In-Car Video': ['3.8.0', '3.8.0', '3.7.1', '3.5.2'],
  'Evidence Library': ['2026.10', '2026.10', '2026.9'],
  Aware: ['6.4.0', '6.4.0', '6.3.1'],
  'Docking Station DS-8': ['2.5.4', '2.5.4', '2.4.0', '2.2.1'],
};
const DEVICES: Record<Product, [number, number]> = {
  'V700 Body Camera': [40, 1800],
  'M500 In-Car Video': [15, 600],
  'Evidence Library': [0, 0],
  Aware: [0, 0],
  'Docking Station DS-8': [5, 230],
};
const INCIDENTS: Record<Product, { degraded: string[]; down: string[]; resolved: string[] }> = {
  'V700 Body Camera': {
    degraded: [
      'Battery drain after firmware update on a subset of cameras',
      'Intermittent GPS tagging on recordings',
    ],
    down: ['Cameras fail to register with the docking network after certificate expiry'],
    resolved: ['Audio desync on long recordings fixed in 4.12.3'],
  },
  'M500 In-Car Video': {
    degraded: [
      'Uploads over LTE stall above 2 GB',
      'Trigger from light bar not starting recordings on some units',
    ],
    down: ['Head units stuck in boot loop after power loss'],
    resolved: ['Front camera focus drift corrected by recalibration'],
  },
  'Evidence Library': {
    degraded: ['Search indexing delayed by several hours', 'Slow playback of 4K video in the browser'],
    down: ['Single sign-on to Evidence Library failing for all users'],
    resolved: ['Sharing links expiring early fixed in 2025.1'],
  },
  Aware: {
    degraded: ['Live map positions lagging by up to 2 minutes', 'Alert notifications delayed'],
    down: ['Aware dashboard unreachable from the agency network'],
    resolved: ['Duplicate alerts after failover resolved'],
  },
  'Docking Station DS-8': {
    degraded: ['Offload speed reduced on docks with older firmware', 'Some bays not charging'],
    down: ['Docks offline after network switch replacement'],
    resolved: ['Bay 8 charging fault replaced under warranty'],
  },
};

function productsFor(org: DemoOrganization, r: Prng): Product[] {
  const out: Product[] = [];
  const field = org.type === 'police' || org.type === 'sheriff';
  if (field || r.chance(org.type === 'fire' || org.type === 'ems' ? 0.7 : 0.35)) out.push('V700 Body Camera');
  if (field || r.chance(0.2)) out.push('M500 In-Car Video');
  out.push('Evidence Library');
  // As licensing-and-tiers.md sells it: none with Essentials, an add-on with Professional, included with Enterprise.
  if (org.tier === 'enterprise' || (org.tier === 'professional' && r.chance(0.5))) out.push('Aware');
  if (out.includes('V700 Body Camera') && (field || r.chance(0.5))) out.push('Docking Station DS-8');
  return out;
}

function drawStatus(r: Prng): OrgStatus {
  const x = r.next();
  return x < 0.9 ? 'live' : x < 0.975 ? 'degraded' : 'down';
}

const worst = (xs: OrgStatus[]): OrgStatus =>
  xs.includes('down') ? 'down' : xs.includes('degraded') ? 'degraded' : 'live';

export interface SeedCounts {
  organizations: number;
  deployments: number;
  members: number;
}

/**
 * Fills the organizations database with the demo set when it holds no organization, in one transaction;
 * undefined when it already had data (never overwritten). On PostgreSQL two instances starting at once
 * take turns (a transaction-scoped advisory lock), so only one seeds.
 */
export async function seed(store: OrgDb, seedNumber = DEFAULT_SEED): Promise<SeedCounts | undefined> {
  return store.transaction(async (trx) => {
    if (store.dialect === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(hashtext('msi:organizations:seed'))`.execute(trx);
    const { n } = await trx
      .selectFrom('organizations')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(n) > 0) return undefined;

    const r = prng(seedNumber);
    const members = demoMembers();
    const at = iso(EPOCH);
    const counts: SeedCounts = { organizations: 0, deployments: 0, members: 0 };
    for (const org of DEMO_ORGANIZATIONS) {
      const products = productsFor(org, r);
      const aware = !products.includes('Aware')
        ? null
        : org.tier === 'enterprise'
          ? 'Aware (included with Enterprise)'
          : 'Aware add-on';
      const since = iso(EPOCH - r.int(200, 3600) * day).slice(0, 10);
      const { id: orgId } = await trx
        .insertInto('organizations')
        .values({
          slug: org.slug,
          name: org.name,
          legacy_name: org.legacyName ?? null,
          type: org.type,
          region: org.region,
          tier: org.tier,
          status: 'live',
          aware_service: aware,
          customer_since: since,
          updated_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const statuses: OrgStatus[] = [];
      const deployments = [];
      for (const product of products) {
        const status = drawStatus(r);
        statuses.push(status);
        const [lo, hi] = DEVICES[product];
        const notes = INCIDENTS[product];
        const incident =
          status === 'live'
            ? r.chance(0.3)
              ? `Resolved: ${r.pick(notes.resolved)}`
              : null
            : r.pick(notes[status]);
        const incidentAt = incident
          ? iso(EPOCH - r.int(0, status === 'live' ? 60 : 3) * day - r.int(0, 23) * 3_600_000)
          : null;
        deployments.push({
          org_id: orgId,
          product,
          status,
          version: r.pick(VERSIONS[product]),
          device_count: hi ? r.int(lo, hi) : 0,
          last_incident: incident,
          last_incident_at: incidentAt,
          updated_at: at,
        });
        counts.deployments++;
      }
      if (deployments.length) await trx.insertInto('deployments').values(deployments).execute();
      await trx
        .updateTable('organizations')
        .set({ status: worst(statuses) })
        .where('id', '=', orgId)
        .execute();
      for (const m of members.filter((x) => x.org === org.slug)) {
        const { id: memberId } = await trx
          .insertInto('members')
          .values({
            org_id: orgId,
            username: m.username,
            name: m.name,
            email: m.email,
            title: m.title,
            updated_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (m.permissions.length)
          await trx
            .insertInto('member_permissions')
            .values(m.permissions.map((permission) => ({ member_id: memberId, permission })))
            .execute();
        counts.members++;
      }
      counts.organizations++;
    }
    await trx
      .insertInto('events')
      .values({ at, actor: 'system', action: 'seed', note: JSON.stringify({ seed: seedNumber, ...counts }) })
      .execute();
    return counts;
  });
}
