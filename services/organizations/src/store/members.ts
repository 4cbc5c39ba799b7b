/** Members of an organization and their permissions; permission changes with their event row. */
import type { Db } from '@msi/kit';
import type { MemberPermission } from '../model.js';
import { byPermissionOrder, likeText, type Member, type OrgRow } from './rows.js';

export interface MemberFilter {
  query?: string;
  permission?: MemberPermission;
  limit: number;
  offset: number;
}

/** Members of one organization only, optionally filtered by text and permission. */
export function listMembers(db: Db, orgId: number, f: MemberFilter): { total: number; members: Member[] } {
  const where = ['m.org_id = ?'];
  const args: unknown[] = [orgId];
  if (f.query) {
    where.push(
      `(m.username LIKE ? ESCAPE '\\' OR m.name LIKE ? ESCAPE '\\' OR m.email LIKE ? ESCAPE '\\' OR m.title LIKE ? ESCAPE '\\')`,
    );
    args.push(...Array(4).fill(likeText(f.query)));
  }
  if (f.permission) {
    where.push('EXISTS (SELECT 1 FROM member_permissions p WHERE p.member_id = m.id AND p.permission = ?)');
    args.push(f.permission);
  }
  const sqlWhere = where.join(' AND ');
  const total = (
    db.prepare(`SELECT count(*) AS n FROM members m WHERE ${sqlWhere}`).get(...args) as { n: number }
  ).n;
  const rows = db
    .prepare(
      `SELECT m.id, m.username, m.name, m.email, m.title FROM members m WHERE ${sqlWhere}
         ORDER BY m.name, m.username LIMIT ? OFFSET ?`,
    )
    .all(...args, f.limit, f.offset) as (Omit<Member, 'permissions'> & { id: number })[];
  return { total, members: rows.map((r) => withPermissions(db, r)) };
}

/** One member of the organization `orgId`, or undefined: a member of another organization is not found. */
export function findMember(db: Db, orgId: number, username: string): (Member & { id: number }) | undefined {
  const row = db
    .prepare('SELECT id, username, name, email, title FROM members WHERE org_id = ? AND username = ?')
    .get(orgId, username.trim()) as (Omit<Member, 'permissions'> & { id: number }) | undefined;
  return row && { id: row.id, ...withPermissions(db, row) };
}

function withPermissions(db: Db, r: Omit<Member, 'permissions'> & { id: number }): Member {
  const perms = (
    db.prepare('SELECT permission FROM member_permissions WHERE member_id = ?').all(r.id) as {
      permission: string;
    }[]
  )
    .map((p) => p.permission)
    .sort(byPermissionOrder) as MemberPermission[];
  return { username: r.username, name: r.name, email: r.email, title: r.title, permissions: perms };
}

/**
 * Replaces a member's permissions and appends the change to the event log, in one transaction.
 * Unchanged permissions write nothing.
 */
export function setMemberPermissions(
  db: Db,
  org: OrgRow,
  username: string,
  permissions: MemberPermission[],
  actor: string,
  note?: string,
): { before: MemberPermission[]; after: MemberPermission[]; changed: boolean; member: Member } | undefined {
  const after = [...new Set(permissions)].sort(byPermissionOrder);
  return db.transaction(() => {
    const m = findMember(db, org.id, username);
    if (!m) return undefined;
    const before = m.permissions;
    const changed = before.join(',') !== after.join(',');
    if (changed) {
      const now = new Date().toISOString();
      db.prepare('DELETE FROM member_permissions WHERE member_id = ?').run(m.id);
      const ins = db.prepare('INSERT INTO member_permissions (member_id, permission) VALUES (?, ?)');
      for (const p of after) ins.run(m.id, p);
      db.prepare('UPDATE members SET updated_at = ? WHERE id = ?').run(now, m.id);
      db.prepare(
        `INSERT INTO events (at, actor, action, org_id, subject, before, after, note)
             VALUES (?, ?, 'member.permissions_set', ?, ?, ?, ?, ?)`,
      ).run(now, actor, org.id, m.username, JSON.stringify(before), JSON.stringify(after), note ?? null);
    }
    const { id: _id, ...member } = m;
    return { before, after, changed, member: { ...member, permissions: after } };
  })();
}
