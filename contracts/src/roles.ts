/**
 * Roles and what each may do (DESIGN.md, the roles table), in one place. The API answers these flags on
 * `GET /api/me` (`Me.can`) and enforces them; the renderer shows or hides controls from `me.can` and never
 * works them out from the roles itself. Plain data, no imports: the renderer bundles it.
 */
export const ROLES = ['customer', 'agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The roles that may do each thing. Having any one of them is enough. */
export const CAN = {
  /** Add documents to the knowledge base and remove uploaded ones. */
  changeKnowledge: ['agent', 'supervisor', 'admin'],
  /** Also remove the built-in product documentation. */
  removeBuiltInDocs: ['supervisor', 'admin'],
  /** See every organization (and its tickets), not only those in the `organizations` claim. */
  seeAllOrganizations: ['supervisor', 'admin'],
  /** Change ticket status and priority, resolve, write internal comments. */
  workTickets: ['agent', 'supervisor', 'admin'],
  /** Assign tickets to staff. */
  assignTickets: ['supervisor', 'admin'],
  /** Change an organization member's permissions. */
  changeMemberPermissions: ['admin'],
  /** See and change where the app connects (Settings → Endpoints): support staff, not customers. */
  configureEndpoints: ['agent', 'supervisor', 'admin'],
  /** The services' console under Diagnostics: pids, ports, URLs, raw logs, Restart. */
  seeDiagnostics: ['admin'],
  /** Set tools to "always ask" for approval (the approval policy). */
  changeApprovalPolicy: ['admin'],
  /** Start a backup of the deployment now (POST /api/backups) and read the backup jobs' status. */
  runBackups: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Ability = keyof typeof CAN;
export const ABILITIES = Object.keys(CAN) as Ability[];

/** Every ability as a flag. */
export type Can = Record<Ability, boolean>;

/** Whether someone with these roles may do `ability` (no role: nothing). */
export function may(roles: readonly string[], ability: Ability): boolean {
  return (CAN[ability] as readonly string[]).some((role) => roles.includes(role));
}

/** All the flags for these roles. */
export function canOf(roles: readonly string[]): Can {
  return Object.fromEntries(ABILITIES.map((a) => [a, may(roles, a)])) as Can;
}

/** Every flag false: someone with no role, or before `GET /api/me` has answered. */
export const CAN_NOTHING: Can = canOf([]);
