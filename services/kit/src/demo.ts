/**
 * The demo directory shared by every service's seed: the organizations, the people the IDP signs in
 * (password `demo`), and each organization's members. Deterministic: the same seed gives the same data,
 * so the IDP's users, the organizations' members and the tickets' reporters always match.
 */
import type { Role } from './principal.js';
import { prng } from './prng.js';
import { type MemberPermission, type OrgType, type Tier } from './vocabulary.js';

export interface DemoOrganization {
  slug: string;
  name: string;
  /** The identifier the original system used (the first five only). */
  legacyName?: string;
  type: OrgType;
  region: string;
  tier: Tier;
}

export const DEMO_ORGANIZATIONS: readonly DemoOrganization[] = [
  {
    slug: 'dallas-police',
    name: 'Dallas Police Department',
    legacyName: 'Dallas_Police',
    type: 'police',
    region: 'US-South',
    tier: 'enterprise',
  },
  {
    slug: 'allen-firestation',
    name: 'Allen Fire Station',
    legacyName: 'Allen_Firestation',
    type: 'fire',
    region: 'US-South',
    tier: 'essentials',
  },
  {
    slug: 'la-city',
    name: 'City of Los Angeles',
    legacyName: 'LA_City',
    type: 'city',
    region: 'US-West',
    tier: 'enterprise',
  },
  {
    slug: 'atlanta-police',
    name: 'Atlanta Police Department',
    legacyName: 'Atlanta_Police',
    type: 'police',
    region: 'US-Southeast',
    tier: 'professional',
  },
  {
    slug: 'brandon-electronics',
    name: 'Brandon Electronics',
    legacyName: 'Brandon_Electronics',
    type: 'enterprise',
    region: 'US-Southeast',
    tier: 'essentials',
  },
  {
    slug: 'seattle-police',
    name: 'Seattle Police Department',
    type: 'police',
    region: 'US-West',
    tier: 'professional',
  },
  {
    slug: 'king-county-sheriff',
    name: "King County Sheriff's Office",
    type: 'sheriff',
    region: 'US-West',
    tier: 'professional',
  },
  {
    slug: 'denver-fire',
    name: 'Denver Fire Department',
    type: 'fire',
    region: 'US-Mountain',
    tier: 'essentials',
  },
  {
    slug: 'phoenix-police',
    name: 'Phoenix Police Department',
    type: 'police',
    region: 'US-Mountain',
    tier: 'enterprise',
  },
  {
    slug: 'austin-ems',
    name: 'Austin-Travis County EMS',
    type: 'ems',
    region: 'US-South',
    tier: 'essentials',
  },
  {
    slug: 'houston-police',
    name: 'Houston Police Department',
    type: 'police',
    region: 'US-South',
    tier: 'enterprise',
  },
  {
    slug: 'chicago-police',
    name: 'Chicago Police Department',
    type: 'police',
    region: 'US-Midwest',
    tier: 'enterprise',
  },
  {
    slug: 'cook-county-sheriff',
    name: "Cook County Sheriff's Office",
    type: 'sheriff',
    region: 'US-Midwest',
    tier: 'professional',
  },
  {
    slug: 'minneapolis-fire',
    name: 'Minneapolis Fire Department',
    type: 'fire',
    region: 'US-Midwest',
    tier: 'essentials',
  },
  {
    slug: 'columbus-city',
    name: 'City of Columbus',
    type: 'city',
    region: 'US-Midwest',
    tier: 'professional',
  },
  {
    slug: 'boston-police',
    name: 'Boston Police Department',
    type: 'police',
    region: 'US-Northeast',
    tier: 'professional',
  },
  { slug: 'nyc-ems', name: 'New York City EMS', type: 'ems', region: 'US-Northeast', tier: 'enterprise' },
  {
    slug: 'philadelphia-water',
    name: 'Philadelphia Water Department',
    type: 'utility',
    region: 'US-Northeast',
    tier: 'essentials',
  },
  {
    slug: 'miami-dade-fire',
    name: 'Miami-Dade Fire Rescue',
    type: 'fire',
    region: 'US-Southeast',
    tier: 'professional',
  },
  { slug: 'orlando-city', name: 'City of Orlando', type: 'city', region: 'US-Southeast', tier: 'essentials' },
  {
    slug: 'portland-power',
    name: 'Portland General Power',
    type: 'utility',
    region: 'US-West',
    tier: 'essentials',
  },
  {
    slug: 'sacramento-sheriff',
    name: "Sacramento County Sheriff's Office",
    type: 'sheriff',
    region: 'US-West',
    tier: 'essentials',
  },
  {
    slug: 'toronto-police',
    name: 'Toronto Police Service',
    type: 'police',
    region: 'CA-East',
    tier: 'enterprise',
  },
  {
    slug: 'vancouver-fire',
    name: 'Vancouver Fire Rescue Services',
    type: 'fire',
    region: 'CA-West',
    tier: 'essentials',
  },
];

export interface DemoUser {
  username: string;
  name: string;
  email: string;
  role: Role;
  /** The `organizations` claim: slugs (empty for supervisor and admin, who see all). */
  organizations: string[];
  /** For customers: their title and permissions as a member of their organization. */
  title?: string;
  permissions?: MemberPermission[];
}

/** The people who can sign in (password `demo`), exactly as DESIGN.md's roles table. */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    username: 'james_smith',
    name: 'James Smith',
    email: 'james.smith@dallaspolice.example',
    role: 'customer',
    organizations: ['dallas-police'],
    title: 'Records Supervisor',
    permissions: ['view_records', 'edit_records', 'share_evidence', 'view_agency_users'],
  },
  {
    username: 'linda_baker',
    name: 'Linda Baker',
    email: 'linda.baker@allenfire.example',
    role: 'customer',
    organizations: ['allen-firestation'],
    title: 'Fire Captain',
    permissions: ['view_records'],
  },
  {
    username: 'paul_morgan',
    name: 'Paul Morgan',
    email: 'paul.morgan@lacity.example',
    role: 'customer',
    organizations: ['la-city'],
    title: 'IT Systems Administrator',
    permissions: [
      'view_records',
      'edit_records',
      'manage_devices',
      'view_agency_users',
      'manage_agency_users',
    ],
  },
  {
    username: 'alex_agent',
    name: 'Alex Rivera',
    email: 'alex.rivera@msi-support.example',
    role: 'agent',
    organizations: ['dallas-police', 'allen-firestation', 'atlanta-police', 'houston-police', 'austin-ems'],
  },
  {
    username: 'riley_agent',
    name: 'Riley Chen',
    email: 'riley.chen@msi-support.example',
    role: 'agent',
    organizations: ['la-city', 'brandon-electronics', 'seattle-police', 'phoenix-police', 'portland-power'],
  },
  {
    username: 'sam_supervisor',
    name: 'Sam Patel',
    email: 'sam.patel@msi-support.example',
    role: 'supervisor',
    organizations: [],
  },
  {
    username: 'admin',
    name: 'Avery Admin',
    email: 'admin@msi-support.example',
    role: 'admin',
    organizations: [],
  },
];

export const DEMO_PASSWORD = 'demo';

export interface DemoMember {
  org: string;
  username: string;
  name: string;
  email: string;
  title: string;
  permissions: MemberPermission[];
}

const FIRST = [
  'Maria',
  'John',
  'Aisha',
  'Carlos',
  'Emily',
  'Daniel',
  'Grace',
  'Marcus',
  'Priya',
  'Kevin',
  'Sofia',
  'Tyrone',
  'Hannah',
  'Luis',
  'Olivia',
  'Noah',
  'Fatima',
  'Ethan',
  'Chloe',
  'Andre',
  'Mei',
  'Victor',
  'Rachel',
  'Omar',
];
const LAST = [
  'Garcia',
  'Johnson',
  'Nguyen',
  'Williams',
  'Brown',
  'Martinez',
  'Davis',
  'Lopez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Moore',
  'Jackson',
  'Lee',
  'Harris',
  'Clark',
  'Lewis',
  'Walker',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Green',
  'Adams',
];
const TITLES: Record<OrgType, string[]> = {
  police: [
    'Patrol Officer',
    'Sergeant',
    'Evidence Technician',
    'Records Clerk',
    'Lieutenant',
    'IT Specialist',
  ],
  sheriff: ['Deputy', 'Sergeant', 'Evidence Custodian', 'Records Clerk', 'IT Specialist'],
  fire: ['Firefighter', 'Engineer', 'Battalion Chief', 'Training Officer', 'IT Specialist'],
  ems: ['Paramedic', 'EMT', 'Field Supervisor', 'Quality Analyst', 'IT Specialist'],
  city: ['Clerk', 'Public Records Officer', 'IT Administrator', 'Code Enforcement Officer'],
  utility: ['Field Technician', 'Security Officer', 'Operations Manager', 'IT Administrator'],
  enterprise: ['Security Manager', 'Facilities Lead', 'IT Administrator', 'Loss Prevention Analyst'],
};

function domain(slug: string) {
  return `${slug.replace(/-/g, '')}.example`;
}

/** Members of every organization: the IDP's customers in their own org, plus generated staff. */
export function demoMembers(seed = 1042): DemoMember[] {
  const r = prng(seed);
  const out: DemoMember[] = [];
  for (const org of DEMO_ORGANIZATIONS) {
    for (const u of DEMO_USERS) {
      if (u.role === 'customer' && u.organizations[0] === org.slug) {
        out.push({
          org: org.slug,
          username: u.username,
          name: u.name,
          email: u.email,
          title: u.title ?? 'Staff',
          permissions: [...(u.permissions ?? [])],
        });
      }
    }
    const n = r.int(4, 9);
    const used = new Set(out.filter((m) => m.org === org.slug).map((m) => m.username));
    for (let i = 0; i < n; i++) {
      const first = r.pick(FIRST);
      const last = r.pick(LAST);
      let username = `${first}_${last}`.toLowerCase();
      while (used.has(username) || DEMO_USERS.some((u) => u.username === username)) username += r.int(0, 9);
      used.add(username);
      const title = r.pick(TITLES[org.type]);
      const perms: MemberPermission[] = ['view_records'];
      if (r.chance(0.6)) perms.push('edit_records');
      if (r.chance(0.4)) perms.push('share_evidence');
      if (/IT|Administrator|Manager|Chief|Lieutenant/.test(title))
        perms.push('manage_devices', 'view_agency_users');
      if (/Administrator|Manager/.test(title) && r.chance(0.5)) perms.push('manage_agency_users');
      out.push({
        org: org.slug,
        username,
        name: `${first} ${last}`,
        email: `${first}.${last}@${domain(org.slug)}`.toLowerCase(),
        title,
        permissions: perms,
      });
    }
  }
  return out;
}

/** Finds an organization by slug, legacy name or display name (case-insensitive). */
export function findDemoOrganization(ref: string): DemoOrganization | undefined {
  const k = ref.trim().toLowerCase();
  return DEMO_ORGANIZATIONS.find(
    (o) => o.slug === k || o.name.toLowerCase() === k || o.legacyName?.toLowerCase() === k,
  );
}
