/**
 * The deterministic demo set: the same seed and anchor time give the same tickets, comments and events.
 * Reporters are members of the ticket's organization (kit demo directory); assignees are support staff
 * whose organizations cover it. One transaction of batched multi-row inserts (either backend), so 100k
 * tickets take seconds; on PostgreSQL the search vectors are computed in the insert and their GIN indexes
 * built once at the end.
 * The server's directory gets the demo organizations and support staff (the seed is the only reader of the
 * demo data; the running server knows only its own tables).
 */
import { sql } from 'kysely';
import { prng, type Prng } from '@msi/kit';
import type { TicketingStore } from './db.js';
import type { Db } from './store/index.js';
import { DEMO_ORGANIZATIONS, DEMO_USERS, demoMembers, type DemoMember } from '@msi/kit/demo';
import { FIRST_NUMBER, slaDue, type Category, type Priority, type Product, type Status } from './model.js';
import { Directory, type StaffMember } from './store/directory.js';

export interface SeedOptions {
  /** How many tickets (default 300). */
  tickets?: number;
  seed?: number;
  /** Tickets are spread over the 120 days before this time (default: today 00:00 UTC). */
  anchor?: Date;
}

interface Topic {
  product: Product;
  category: Category;
  titles: string[];
  details: string[];
  fixes: string[];
}

const MODELS = ['V700']; // the product family of resources/docs: V700 Body Camera, M500 In-Car Video, DS-8
const DOCKS = ['DS-8 dock', 'DS-8 docking station', 'evidence-room DS-8', 'DS-8 in the sally port'];
const VERSIONS = ['4.2.1', '4.2.0', '4.1.0', '4.0.3', '3.9.0'];
const PLACES = [
  'Station 3',
  'the north precinct',
  'headquarters',
  'the evidence room',
  'District 5',
  'the training center',
];

const TOPICS: Topic[] = [
  {
    product: 'body_camera',
    category: 'hardware',
    titles: [
      '{model} body camera not powering on after shift',
      'Body camera battery drains before end of 10-hour shift',
      '{model} records without audio on several units',
      'Body camera LED stays red after docking',
      'Pre-event buffer missing from {model} recordings',
    ],
    details: [
      'Officers at {place} report that {n} {model} cameras will not power on after a full charge.',
      'Since last week {n} units lose charge around hour seven of a shift; battery health shows 80%+.',
      'Several recordings from {place} have video but no audio track; the mute button was not pressed.',
    ],
    fixes: [
      'Replaced the affected batteries under warranty and pushed the power-management profile.',
      'Audio gain profile re-applied; the issue was a misconfigured device group.',
    ],
  },
  {
    product: 'docking_station',
    category: 'connectivity',
    titles: [
      '{dock} not uploading footage overnight',
      'Cameras charge but do not offload on {dock}',
      'Dock shows offline in the admin console',
      'Upload queue stuck at 0% on {dock} at {place}',
    ],
    details: [
      'The {dock} at {place} charges cameras but nothing has uploaded since {date}; {n} videos are queued.',
      'Network team confirmed port 443 is open, but the dock still reports offline.',
    ],
    fixes: [
      'The dock had a stale proxy setting; cleared it and uploads resumed.',
      'Replaced the dock power supply; offload works again.',
    ],
  },
  {
    product: 'body_camera',
    category: 'firmware',
    titles: [
      'Firmware {version} update fails on {model}',
      'Cameras reboot in a loop after firmware {version}',
      'Request to roll back firmware {version}',
      'Firmware update stuck at 40% on docked cameras',
    ],
    details: [
      'After pushing firmware {version}, {n} {model} cameras show "update failed" and stay on the old version.',
      'Devices at {place} reboot every few minutes since the {version} rollout.',
    ],
    fixes: [
      'Re-staged firmware {version} with the corrected package; all units updated.',
      'Rolled back to the previous firmware for the affected group.',
    ],
  },
  {
    product: 'evidence_management',
    category: 'evidence',
    titles: [
      'Evidence sharing link expired too early',
      'Cannot share case evidence with the District Attorney',
      'Redaction job stuck in processing',
      'Audit trail missing entries for shared evidence',
      'Bulk export of case {case} times out',
    ],
    details: [
      'A share link sent to the prosecutor for case {case} expired after one day instead of 30.',
      'The redaction job for case {case} has been "processing" for {n} hours.',
      'Exporting {n} files for case {case} fails with a timeout after about 20 minutes.',
    ],
    fixes: [
      'Share policy default was 1 day; set to 30 days and re-sent the link.',
      'Restarted the redaction worker; the job completed.',
    ],
  },
  {
    product: 'aware',
    category: 'software',
    titles: [
      'Aware alerts not received on dispatch console',
      'Aware map shows units in the wrong location',
      'Duplicate Aware notifications for a single alert',
      'Aware live stream does not start from the alert',
    ],
    details: [
      'Dispatchers at {place} did not get the Aware alert when an officer drew their weapon on {date}.',
      'The Aware map places {n} units several blocks away from their actual position.',
    ],
    fixes: [
      'The dispatch console was subscribed to the wrong alert group; corrected.',
      'GPS source switched to the in-car modem.',
    ],
  },
  {
    product: 'sso',
    category: 'account_access',
    titles: [
      'SSO login fails with "invalid SAML response"',
      'Users locked out after identity provider certificate rotation',
      'New hires cannot sign in with single sign-on',
      'MFA prompt loops on the evidence portal',
    ],
    details: [
      'Since {date} users get "invalid SAML response" when signing in through the agency identity provider.',
      'After the certificate rotation {n} users cannot sign in; local accounts still work.',
    ],
    fixes: [
      'Uploaded the new signing certificate to the SSO configuration.',
      'Added the new-hire group to the SSO role mapping.',
    ],
  },
  {
    product: 'in_car_video',
    category: 'hardware',
    titles: [
      'In-car video does not start recording on lights',
      'In-car camera footage out of sync with body camera',
      'Rear-seat camera shows black image',
      'In-car video system loses GPS',
    ],
    details: [
      'Unit {unit} did not start recording when the light bar was activated on {date}.',
      'Footage from the in-car system is {n} seconds behind the paired body camera.',
    ],
    fixes: [
      'Replaced the trigger cable on the light bar input.',
      'Time sync server corrected; recordings align again.',
    ],
  },
  {
    product: 'mobile_app',
    category: 'configuration',
    titles: [
      'Mobile app cannot tag evidence with case number',
      'Mobile app crashes when uploading photos',
      'Need a new device group for the unit at {place}',
      'Retention policy for traffic stops needs to change',
    ],
    details: [
      'Officers cannot add case numbers from the mobile app; the field is greyed out.',
      'The app crashes when uploading more than {n} photos at once.',
      'Please create a device group and retention category for {place}.',
    ],
    fixes: [
      'Enabled the case-number field in the mobile app profile.',
      'Configured as requested and confirmed with the customer.',
    ],
  },
];

const CUSTOMER_REPLIES = [
  'Thanks, we will test this on the next shift and let you know.',
  'This is still happening for us today. Can someone call me?',
  'Attached the logs you asked for.',
  'Confirmed, that fixed it on the units we checked.',
  'Any update? Our officers are asking about this.',
];
const AGENT_REPLIES = [
  'Thanks for the report. Could you send the serial numbers of the affected units?',
  'We have reproduced the problem and are working on a fix.',
  'Please try re-docking one of the units and tell us whether it uploads.',
  'A fix has been applied on our side; please confirm it works for you.',
];
const INTERNAL_NOTES = [
  'Internal: matches a known defect in the current release; engineering ticket linked.',
  'Internal: customer is on an enterprise contract, keep them updated daily.',
  'Internal: escalated to tier 2, waiting on engineering.',
  'Internal: probably a network configuration issue on the customer side.',
];

const STATUS_WEIGHTS: [Status, number][] = [
  ['open', 24],
  ['in_progress', 24],
  ['waiting_on_customer', 14],
  ['resolved', 22],
  ['closed', 16],
];
const PRIORITY_WEIGHTS: [Priority, number][] = [
  ['low', 18],
  ['normal', 46],
  ['high', 26],
  ['urgent', 10],
];

function weighted<T>(r: Prng, xs: [T, number][]): T {
  const sum = xs.reduce((a, [, w]) => a + w, 0);
  let x = r.next() * sum;
  for (const [v, w] of xs) if ((x -= w) < 0) return v;
  return xs[xs.length - 1]![0];
}

/** The details of one ticket, picked once so its title, description and resolution agree. */
function details(r: Prng, anchor: number): Record<string, string> {
  return {
    model: r.pick(MODELS),
    dock: r.pick(DOCKS),
    version: r.pick(VERSIONS),
    place: r.pick(PLACES),
    n: String(r.int(2, 40)),
    case: `${r.int(2023, 2025)}-${String(r.int(1, 99999)).padStart(5, '0')}`,
    unit: String(r.int(100, 999)),
    date: new Date(anchor - r.int(1, 20) * 86_400_000).toISOString().slice(0, 10),
  };
}

const fill = (s: string, d: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k: string) => d[k] ?? k);

const iso = (ms: number) => new Date(ms).toISOString();

/** Staff who may be assigned a ticket of `org`: agents covering it, and the supervisor. */
function staffFor(org: string): string[] {
  return DEMO_USERS.filter(
    (u) => u.role === 'supervisor' || (u.role === 'agent' && u.organizations.includes(org)),
  ).map((u) => u.username);
}

/** The demo organizations and support staff, into the server's own directory. */
export async function seedDirectory(store: TicketingStore, db: Db, now = new Date()): Promise<void> {
  const staff = DEMO_USERS.filter(
    (u): u is typeof u & { role: StaffMember['role'] } => u.role !== 'customer',
  );
  await new Directory(store, () => now.toISOString()).import(
    {
      organizations: DEMO_ORGANIZATIONS.map((o) => ({
        slug: o.slug,
        name: o.name,
        legacyName: o.legacyName,
      })),
      staff: staff.map((u) => ({
        username: u.username,
        name: u.name,
        role: u.role,
        organizations: u.organizations,
      })),
    },
    db,
  );
}

/** PostgreSQL: rows of one table waiting to be written in one statement. */
class Batch {
  rows: unknown[][] = [];
  constructor(
    readonly table: 'tickets' | 'comments' | 'events',
    readonly columns: string[],
    /** Each column's type: one array parameter per column (`unnest`). */
    readonly pgTypes: string[],
  ) {}
}

/** One array parameter per column, unnested into rows: no per-row parameters to parse or plan. */
async function flush(db: Db, b: Batch): Promise<void> {
  if (b.rows.length === 0) return;
  const arrays = b.columns.map((_, i) => b.rows.map((r) => r[i]));
  const input = b.pgTypes.map((t, i) => sql`${arrays[i]}::${sql.raw(t === 'jsonb' ? 'text' : t)}[]`);
  const names = b.pgTypes.map((_, i) => sql.raw(`c${i}`));
  const x = (i: number) => sql.raw(`x.c${i}${b.pgTypes[i] === 'jsonb' ? '::jsonb' : ''}`);
  const from = sql`unnest(${sql.join(input)}) AS x (${sql.join(names)})`;
  if (b.table === 'tickets') {
    // The search vectors computed in the same statement (the last two columns are the comment texts).
    const n = TICKET_COLUMNS.length;
    await sql`INSERT INTO tickets (${sql.join(TICKET_COLUMNS.map((c) => sql.ref(c)))}, search_public, search_all)
      SELECT ${sql.join(TICKET_COLUMNS.map((_, i) => x(i)))}, v.pub, v.pub || ticket_search_internal(${x(n + 1)})
      FROM ${from}
      CROSS JOIN LATERAL (SELECT ticket_search_public(x.c2, x.c3, ${x(n)}) AS pub) v`.execute(db);
  } else {
    await sql`INSERT INTO ${sql.table(b.table)} (${sql.join(b.columns.map((c) => sql.ref(c)))})
      SELECT ${sql.join(b.columns.map((_, i) => x(i)))} FROM ${from}`.execute(db);
  }
  b.rows = [];
}

const TICKET_COLUMNS = [
  'id',
  'org',
  'title',
  'description',
  'status',
  'priority',
  'category',
  'product',
  'reporter',
  'assignee',
  'created_at',
  'updated_at',
  'resolved_at',
  'resolution',
  'sla_due_at',
];

/**
 * Fills an empty ticketing database (tickets and directory). Returns how many tickets were written: 0
 * when it has tickets already (another instance seeded it first).
 */
export async function seedTickets(store: TicketingStore, opts: SeedOptions = {}): Promise<number> {
  const count = opts.tickets ?? 300;
  const r = prng(opts.seed ?? 1042);
  const anchorDate = opts.anchor ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const anchor = anchorDate.getTime();
  const members = demoMembers();
  const byOrg = new Map<string, DemoMember[]>();
  for (const m of members) byOrg.set(m.org, [...(byOrg.get(m.org) ?? []), m]);
  const named = DEMO_USERS.filter((u) => u.role === 'customer');
  const { dialect } = store;
  const pg = dialect === 'postgres';

  const T = 'timestamptz';
  const tickets = new Batch(
    'tickets',
    [...TICKET_COLUMNS, 'public_comments', 'internal_comments'],
    ['int', ...Array<string>(9).fill('text'), T, T, T, 'text', T, 'text', 'text'],
  );
  const commentRows = new Batch(
    'comments',
    ['id', 'ticket_id', 'author', 'body', 'internal', 'created_at'],
    ['bigint', 'int', 'text', 'text', 'bool', T],
  );
  const eventRows = new Batch(
    'events',
    ['ticket_id', 'actor', 'action', 'at', 'before', 'after', 'internal'],
    ['int', 'text', 'text', T, 'jsonb', 'jsonb', 'bool'],
  );

  let deferred: string[] = [];
  const written = await store.transaction(async (db) => {
    if (pg) {
      // One seeder at a time; the second finds tickets and writes nothing.
      await sql`SELECT pg_advisory_xact_lock(hashtext('msi:ticketing:seed'))`.execute(db);
      if (!(await isEmpty(db))) return 0;
      // The secondary indexes (GIN and b-tree) and the foreign keys are built and checked once after the
      // rows, not row by row; their definitions come from the schema, so they come back as migrated.
      await sql`SET LOCAL maintenance_work_mem = '256MB'`.execute(db);
      deferred = await deferIndexesAndKeys(db);
    } else {
      // A large page cache for the bulk write (the indexes are written in random order).
      await sql`PRAGMA cache_size = -262144`.execute(db);
    }
    await seedDirectory(store, db, anchorDate);
    const flushAll = async () => {
      await flush(db, tickets);
      await flush(db, commentRows);
      await flush(db, eventRows);
    };
    const raw = store.sqlite;
    const sqlite = raw && {
      ticket: raw.prepare(
        `INSERT INTO tickets (${TICKET_COLUMNS.join(', ')}) VALUES (${TICKET_COLUMNS.map(() => '?').join(',')})`,
      ),
      comment: raw.prepare(
        'INSERT INTO comments (id, ticket_id, author, body, internal, created_at) VALUES (?,?,?,?,?,?)',
      ),
      fts: raw.prepare(
        'INSERT INTO tickets_fts (rowid, title, description, public_comments, internal_comments) VALUES (?,?,?,?,?)',
      ),
      event: raw.prepare(
        'INSERT INTO events (ticket_id, actor, action, at, before, after, internal) VALUES (?,?,?,?,?,?,?)',
      ),
    };
    let commentId = 0;
    for (let i = 0; i < count; i++) {
      const id = FIRST_NUMBER + i;
      // Rows are buffered and written after their ticket (foreign keys).
      const events: unknown[][] = [];
      const comments: unknown[][] = [];
      const ev = (...row: unknown[]) => events.push([id, ...row]);
      // The named customers get several tickets each (the first ones, so small sets have them too).
      const namedUser = i < named.length * 6 ? named[i % named.length] : undefined;
      const org = namedUser ? namedUser.organizations[0]! : r.pick(DEMO_ORGANIZATIONS).slug;
      const reporter = namedUser ? namedUser.username : r.pick(byOrg.get(org) ?? []).username;
      const topic = r.pick(TOPICS);
      const d = details(r, anchor);
      const title = fill(r.pick(topic.titles), d);
      const description = `${fill(r.pick(topic.details), d)} Reported by ${reporter} (${org}).`;
      // A named customer's first two tickets stay open so "my open tickets" always has answers.
      const status: Status = namedUser && i < named.length * 2 ? 'open' : weighted(r, STATUS_WEIGHTS);
      const priority = weighted(r, PRIORITY_WEIGHTS);
      // Unresolved tickets are recent; resolved and closed ones go back four months.
      const days = status === 'resolved' || status === 'closed' ? 120 : 21;
      const created = anchor - r.int(60, days * 24 * 60) * 60_000;
      const staff = staffFor(org);
      const assignee = status === 'open' && r.chance(0.5) ? null : r.pick(staff);
      const actor = assignee ?? r.pick(staff);

      let t = created;
      const step = () => (t = Math.min(anchor, t + r.int(10, 3 * 24 * 60) * 60_000));
      ev(reporter, 'created', iso(t), null, JSON.stringify({ org, title, status: 'open', priority }), 0);
      if (assignee)
        ev('sam_supervisor', 'updated', iso(step()), '{"assignee":null}', JSON.stringify({ assignee }), 0);

      const nComments = r.int(0, 4);
      for (let c = 0; c < nComments; c++) {
        const kind = r.int(0, 2);
        const internal = kind === 2;
        const author = kind === 0 ? reporter : actor;
        const body = internal
          ? r.pick(INTERNAL_NOTES)
          : kind === 0
            ? r.pick(CUSTOMER_REPLIES)
            : r.pick(AGENT_REPLIES);
        const at = iso(step());
        const cid = ++commentId;
        comments.push([cid, id, author, body, internal ? 1 : 0, at]);
        ev(
          author,
          'commented',
          at,
          null,
          JSON.stringify({ commentId: cid, internal, body }),
          internal ? 1 : 0,
        );
      }

      let resolution: string | null = null;
      let resolvedAt: string | null = null;
      if (status !== 'open') {
        const mid: Status = status === 'waiting_on_customer' ? 'waiting_on_customer' : 'in_progress';
        ev(actor, 'updated', iso(step()), '{"status":"open"}', JSON.stringify({ status: mid }), 0);
        if (status === 'resolved' || status === 'closed') {
          resolution = fill(r.pick(topic.fixes), d);
          resolvedAt = iso(step());
          ev(
            actor,
            'resolved',
            resolvedAt,
            JSON.stringify({ status: mid }),
            JSON.stringify({ status: 'resolved', resolution }),
            0,
          );
          if (status === 'closed')
            ev(actor, 'updated', iso(step()), '{"status":"resolved"}', '{"status":"closed"}', 0);
        }
      }
      const createdIso = iso(created);
      const bodies = (internal: number) =>
        comments
          .filter((c) => c[4] === internal)
          .map((c) => c[3])
          .join(' ');
      const ticket = [
        id,
        org,
        title,
        description,
        status,
        priority,
        topic.category,
        topic.product,
        reporter,
        assignee,
        createdIso,
        iso(t),
        resolvedAt,
        resolution,
        slaDue(createdIso, priority),
      ];
      if (sqlite) {
        // SQLite: prepared statements on the store's one connection, in this transaction.
        sqlite.ticket.run(...ticket);
        for (const c of comments) sqlite.comment.run(...c);
        sqlite.fts.run(id, title, description, bodies(0), bodies(1));
        for (const e of events) sqlite.event.run(...e);
        continue;
      }
      tickets.rows.push([...ticket, bodies(0), bodies(1)]);
      for (const c of comments) commentRows.rows.push([c[0], c[1], c[2], c[3], c[4] === 1, c[5]]);
      for (const e of events) eventRows.rows.push([e[0], e[1], e[2], e[3], e[4], e[5], e[6] === 1]);
      if (tickets.rows.length >= 5000) await flushAll();
    }
    if (pg) await flushAll();
    if (pg) {
      for (const statement of deferred) await sql.raw(statement).execute(db);
      // Comment numbers were given here: the next one the server adds comes after them.
      await sql`SELECT setval(pg_get_serial_sequence('comments', 'id'), greatest(max(id), 1)) FROM comments`.execute(
        db,
      );
    }
    return count;
  });
  // Statistics for the query planner (e.g. skip-scans over the facets index for an agent's organizations).
  // On PostgreSQL VACUUM too: the visibility map lets counts read the indexes only.
  if (written > 0)
    await sql.raw(pg ? 'VACUUM (ANALYZE) tickets, comments, events' : 'ANALYZE').execute(store.db);
  if (!pg) await sql`PRAGMA cache_size = -2000`.execute(store.db);
  return written;
}

const BULK_TABLES = ['tickets', 'comments', 'events'];

/**
 * PostgreSQL: drops the secondary indexes and the foreign keys of the ticket tables (inside the seed's
 * transaction) and returns the statements that make them again.
 */
async function deferIndexesAndKeys(db: Db): Promise<string[]> {
  const keys = (
    await sql<{ tbl: string; name: string; def: string }>`SELECT conrelid::regclass::text AS tbl,
        conname AS name, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN (${sql.join(BULK_TABLES)})`.execute(
      db,
    )
  ).rows;
  const indexes = (
    await sql<{ name: string; def: string }>`SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN (${sql.join(BULK_TABLES)})
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(db)
  ).rows;
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  for (const k of keys) await sql.raw(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${q(k.name)}`).execute(db);
  for (const i of indexes) await sql.raw(`DROP INDEX ${q(i.name)}`).execute(db);
  return [
    ...indexes.map((i) => i.def),
    ...keys.map((k) => `ALTER TABLE ${k.tbl} ADD CONSTRAINT ${q(k.name)} ${k.def}`),
  ];
}

/** Whether the ticket tables are empty (a fresh store). */
export async function isEmpty(db: Db): Promise<boolean> {
  return !(await db
    .selectFrom('tickets')
    .select(sql`1`.as('x'))
    .limit(1)
    .executeTakeFirst());
}
