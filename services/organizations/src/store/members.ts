/** Members of an organization and their permissions; permission changes with their event row. */
import type { Kysely } from 'kysely';
import type { OrgDb, OrgTables } from '../db.js';
import type { MemberPermission } from '../model.js';
import { byPermissionOrder, containsText, sameText, textOrder, type Member, type OrgRow } from './rows.js';

export interface MemberFilter {
  query?: string;
  permission?: MemberPermission;
  limit: number;
  offset: number;
}

type MemberRow = Omit<Member, 'permissions'> & { id: number };

/** Members of one organization only, optionally filtered by text and permission. */
export async function listMembers(
  store: OrgDb,
  orgId: number,
  f: MemberFilter,
): Promise<{ total: number; members: Member[] }> {
  const d = store.dialect;
  const filtered = store.db
    .selectFrom('members as m')
    .where('m.org_id', '=', orgId)
    .$if(!!f.query, (q) => q.where(containsText(d, ['m.username', 'm.name', 'm.email', 'm.title'], f.query!)))
    .$if(f.permission !== undefined, (q) =>
      q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('member_permissions as p')
            .select('p.member_id')
            .whereRef('p.member_id', '=', 'm.id')
            .where('p.permission', '=', f.permission!),
        ),
      ),
    );
  const { n } = await filtered.select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await filtered
    .select(['m.id', 'm.username', 'm.name', 'm.email', 'm.title'])
    .orderBy(textOrder(d, 'm.name'))
    .orderBy(textOrder(d, 'm.username', true))
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  const perms = await permissionsOf(
    store.db,
    rows.map((r) => r.id),
  );
  return { total: Number(n), members: rows.map((r) => withPermissions(r, perms.get(r.id) ?? [])) };
}

/**
 * One member of the organization `orgId`, or undefined: a member of another organization is not found.
 * `db` is the store's or a transaction's; `lock` locks the member's row until that transaction ends
 * (PostgreSQL; SQLite's write transaction holds the whole file already).
 */
export async function findMember(
  store: OrgDb,
  db: Kysely<OrgTables>,
  orgId: number,
  username: string,
  lock = false,
): Promise<(Member & { id: number }) | undefined> {
  const row = await db
    .selectFrom('members')
    .select(['id', 'username', 'name', 'email', 'title'])
    .where('org_id', '=', orgId)
    .where(sameText(store.dialect, 'username', username.trim()))
    .$if(lock && store.dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) return undefined;
  const perms = await permissionsOf(db, [row.id]);
  return { id: row.id, ...withPermissions(row, perms.get(row.id) ?? []) };
}

async function permissionsOf(db: Kysely<OrgTables>, ids: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('member_permissions')
    .select(['member_id', 'permission'])
    .where('member_id', 'in', ids)
    .execute();
  for (const r of rows) out.set(r.member_id, [...(out.get(r.member_id) ?? []), r.permission]);
  return out;
}

function withPermissions(r: MemberRow, perms: string[]): Member {
  return {
    username: r.username,
    name: r.name,
    email: r.email,
    title: r.title,
    permissions: [...perms].sort(byPermissionOrder) as MemberPermission[],
  };
}

/**
 * Replaces a member's permissions and appends the change to the event log, in one transaction (the
 * member's row locked first, so two administrators changing one member at once each see the other's
 * result as their "before"). Unchanged permissions write nothing.
 */
export async function setMemberPermissions(
  store: OrgDb,
  org: OrgRow,
  username: string,
  permissions: MemberPermission[],
  actor: string,
  note?: string,
): Promise<
  { before: MemberPermission[]; after: MemberPermission[]; changed: boolean; member: Member } | undefined
> {
  const after = [...new Set(permissions)].sort(byPermissionOrder);
  return store.transaction(async (trx) => {
    const m = await findMember(store, trx, org.id, username, true);
    if (!m) return undefined;
    const before = m.permissions;
    const changed = before.join(',') !== after.join(',');
    if (changed) {
      const now = new Date().toISOString();
      await trx.deleteFrom('member_permissions').where('member_id', '=', m.id).execute();
      if (after.length)
        await trx
          .insertInto('member_permissions')
          .values(after.map((permission) => ({ member_id: m.id, permission })))
          .execute();
      await trx.updateTable('members').set({ updated_at: now }).where('id', '=', m.id).execute();
      await trx
        .insertInto('events')
        .values({
          at: now,
          actor,
          action: 'member.permissions_set',
          org_id: org.id,
          subject: m.username,
          before: JSON.stringify(before),
          after: JSON.stringify(after),
          note: note ?? null,
        })
        .execute();
    }
    const { id: _id, ...member } = m;
    return { before, after, changed, member: { ...member, permissions: after } };
  });
}
