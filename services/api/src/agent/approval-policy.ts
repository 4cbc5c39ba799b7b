/**
 * The approval policy: which changes the dialog may offer to "allow for this conversation" (low-risk ones
 * only: comments and status changes, never permission changes), which tools an administrator has set to
 * "always ask" (that wins over every allowance), which arguments identify what is changed and cannot be
 * edited in the dialog, and the check of a decision's edited arguments against the tool's schema.
 *
 * Allowances are stored per conversation (deleted with it); the admin setting is one row per tool.
 */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { Migration, Principal, Store } from '@msi/kit';
import { may } from '@msi/contracts/roles';
import { API_ROUTES, type ApprovalOffer, type ApprovalPolicy, type AutoApproval } from '../contract.js';

/** A kind of change that may be allowed for the rest of a conversation. */
interface Rememberable {
  rule: string;
  tool: string;
  /** Plural, for "… allowed for this conversation". */
  label: string;
  applies(args: Record<string, unknown>): boolean;
}

const onlyKeys = (args: Record<string, unknown>, keys: string[]) =>
  Object.keys(args).every((k) => keys.includes(k) || args[k] === undefined);

/** Low-risk changes only. Permission changes (set_member_permissions), assignments, priorities, new
 *  tickets and resolutions are never on this list: they are asked every time. */
export const REMEMBERABLE: readonly Rememberable[] = [
  {
    rule: 'conversation:add_comment',
    tool: 'add_comment',
    label: 'Comments',
    applies: () => true,
  },
  {
    rule: 'conversation:update_ticket.status',
    tool: 'update_ticket',
    label: 'Status changes',
    applies: (args) => typeof args.status === 'string' && onlyKeys(args, ['number', 'status']),
  },
];

/** Arguments that name what a change is about: shown in the dialog, not editable (deny and ask again). */
const LOCKED: Record<string, string[]> = {
  add_comment: ['number'],
  update_ticket: ['number'],
  resolve_ticket: ['number'],
  set_member_permissions: ['organization', 'username'],
};
export const lockedFields = (tool: string): string[] => LOCKED[tool] ?? [];

/** Migration 3 of the API's "main" module (after `pinned`): the policy's tables and what the record keeps. */
export const approvalPolicyMigration: Migration = {
  sqlite: `CREATE TABLE approval_rules (
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     rule TEXT NOT NULL,
     granted_by TEXT NOT NULL,
     granted_name TEXT NOT NULL,
     granted_at TEXT NOT NULL,
     PRIMARY KEY (conversation_id, rule)
   );
   CREATE TABLE approval_settings (
     tool TEXT PRIMARY KEY,
     updated_by TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   ALTER TABLE tool_calls ADD COLUMN approval_json TEXT;
   ALTER TABLE approvals ADD COLUMN rule TEXT;
   ALTER TABLE approvals ADD COLUMN sent_args_json TEXT;`,
  postgres: `CREATE TABLE approval_rules (
     conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
     rule TEXT NOT NULL,
     granted_by TEXT NOT NULL,
     granted_name TEXT NOT NULL,
     granted_at TIMESTAMPTZ NOT NULL,
     PRIMARY KEY (conversation_id, rule)
   );
   CREATE TABLE approval_settings (
     tool TEXT PRIMARY KEY,
     updated_by TEXT NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL
   );
   ALTER TABLE tool_calls ADD COLUMN approval_json TEXT;
   ALTER TABLE approvals ADD COLUMN rule TEXT;
   ALTER TABLE approvals ADD COLUMN sent_args_json TEXT;`,
};

/** The policy's tables as Kysely sees them (timestamps are ISO strings on both backends). */
export interface ApprovalPolicyTables {
  approval_rules: {
    conversation_id: string;
    rule: string;
    granted_by: string;
    granted_name: string;
    granted_at: string;
  };
  approval_settings: {
    tool: string;
    updated_by: string;
    updated_at: string;
  };
}

/** What a pending approval keeps for checking the person's decision. */
export interface ApprovalMeta {
  conversationId: string;
  tool: string;
  args: Record<string, unknown>;
  schema?: Record<string, unknown>;
  offer: ApprovalOffer;
}

export interface ApprovalPolicyStore {
  /** What the dialog may offer for this call. */
  offer(tool: string, args: Record<string, unknown>): Promise<ApprovalOffer>;
  /** The rule that approves this call without asking, if this conversation has one (and no admin override). */
  auto(
    conversationId: string,
    tool: string,
    args: Record<string, unknown>,
  ): Promise<AutoApproval | undefined>;
  /** Stores "allow for this conversation" for `rule`. */
  remember(conversationId: string, rule: string, by: Principal): Promise<void>;
  read(): Promise<ApprovalPolicy>;
  setAlwaysAsk(tools: string[], by: Principal): Promise<ApprovalPolicy>;
}

const rememberable = () => REMEMBERABLE.map(({ rule, tool, label }) => ({ rule, tool, label }));

export function createApprovalPolicy(store: Store<ApprovalPolicyTables>): ApprovalPolicyStore {
  const { db } = store;
  const alwaysAsk = async (tool: string) =>
    (await db.selectFrom('approval_settings').select('tool').where('tool', '=', tool).executeTakeFirst()) !==
    undefined;
  const read = async (): Promise<ApprovalPolicy> => {
    const rows = await db
      .selectFrom('approval_settings')
      .select(['tool', 'updated_by', 'updated_at'])
      .orderBy('tool')
      .execute();
    const last = [...rows].sort((a, b) => a.updated_at.localeCompare(b.updated_at)).at(-1);
    return {
      alwaysAsk: rows.map((r) => r.tool),
      rememberable: rememberable(),
      ...(last ? { updatedBy: last.updated_by, updatedAt: last.updated_at } : {}),
    };
  };
  const setAll = (tools: string[], by: string) =>
    store.transaction(async (trx) => {
      await trx.deleteFrom('approval_settings').execute();
      const at = new Date().toISOString();
      const unique = [...new Set(tools)];
      if (unique.length) {
        await trx
          .insertInto('approval_settings')
          .values(unique.map((tool) => ({ tool, updated_by: by, updated_at: at })))
          .execute();
      }
    });
  return {
    async offer(tool, args) {
      const always = await alwaysAsk(tool);
      const r = always ? undefined : REMEMBERABLE.find((x) => x.tool === tool && x.applies(args));
      return {
        alwaysAsk: always,
        locked: lockedFields(tool).filter((k) => k in args),
        ...(r ? { remember: { rule: r.rule, label: `${r.label} in this conversation` } } : {}),
      };
    },
    async auto(conversationId, tool, args) {
      if (await alwaysAsk(tool)) return undefined;
      const grants = await db
        .selectFrom('approval_rules')
        .select(['rule', 'granted_by', 'granted_name', 'granted_at'])
        .where('conversation_id', '=', conversationId)
        .execute();
      for (const r of REMEMBERABLE) {
        if (r.tool !== tool || !r.applies(args)) continue;
        const g = grants.find((x) => x.rule === r.rule);
        if (!g) continue;
        return {
          rule: r.rule,
          label: `${r.label} allowed for this conversation by ${g.granted_name} at ${g.granted_at.slice(0, 16).replace('T', ' ')} UTC`,
          grantedBy: g.granted_by,
          grantedAt: g.granted_at,
        };
      }
      return undefined;
    },
    async remember(conversationId, rule, by) {
      if (!REMEMBERABLE.some((r) => r.rule === rule)) throw new Error(`${rule} cannot be remembered`);
      await db
        .insertInto('approval_rules')
        .values({
          conversation_id: conversationId,
          rule,
          granted_by: by.sub,
          granted_name: by.name ?? by.username,
          granted_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.columns(['conversation_id', 'rule']).doNothing())
        .execute();
    },
    async read() {
      return read();
    },
    async setAlwaysAsk(tools, by) {
      await setAll(tools, by.username);
      return read();
    },
  };
}

/** The approval dialog's edit, checked: the arguments that will run, or what is wrong with them. */
export async function checkEdit(
  meta: ApprovalMeta,
  edited: Record<string, unknown> | undefined,
  remember: boolean | undefined,
): Promise<{ ok: true; args: Record<string, unknown> } | { ok: false; message: string }> {
  if (remember && !meta.offer.remember) {
    return {
      ok: false,
      message: meta.offer.alwaysAsk
        ? `${meta.tool} is set to always ask by an administrator: it cannot be allowed for the conversation`
        : `${meta.tool} with these arguments cannot be allowed for the conversation; only comments and status changes can`,
    };
  }
  if (!edited) return { ok: true, args: meta.args };
  for (const k of meta.offer.locked) {
    if (JSON.stringify(edited[k]) !== JSON.stringify(meta.args[k])) {
      return {
        ok: false,
        message: `${k} names what is changed and cannot be edited here; deny and ask for the change you want`,
      };
    }
  }
  // Empty text fields are left out (an optional field the person cleared), not sent as "".
  const args = Object.fromEntries(Object.entries(edited).filter(([, v]) => v !== '' && v !== undefined));
  if (remember && !REMEMBERABLE.some((r) => r.rule === meta.offer.remember!.rule && r.applies(args))) {
    return {
      ok: false,
      message: 'the edited change is no longer one that can be allowed for the conversation',
    };
  }
  if (meta.schema) {
    const { AjvJsonSchemaValidator } = await import('@modelcontextprotocol/sdk/validation/ajv');
    const check = (validator ??= new AjvJsonSchemaValidator()).getValidator(
      meta.schema as Parameters<InstanceType<typeof AjvJsonSchemaValidator>['getValidator']>[0],
    );
    const r = check(args);
    if (!r.valid)
      return { ok: false, message: `the edited arguments do not fit ${meta.tool}: ${r.errorMessage}` };
  }
  return { ok: true, args };
}
let validator: import('@modelcontextprotocol/sdk/validation/ajv').AjvJsonSchemaValidator | undefined;

const TOOL_NAME = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'each tool is named like add_comment');
const policyBody = z.object({ alwaysAsk: z.array(TOOL_NAME).max(100) }).strict();

/** GET (everyone) and PUT (administrators; 404 for others) /api/approval-policy. */
export function registerApprovalPolicyRoutes(
  app: FastifyInstance,
  policy: ApprovalPolicyStore,
  opts: {
    preHandler: preHandlerHookHandler[];
    /** The tools that change data, as this person may call them (to name an unknown one). */
    changingTools(req: Parameters<preHandlerHookHandler>[0]): Promise<string[]>;
  },
): void {
  app.get(API_ROUTES.approvalPolicy, { preHandler: opts.preHandler }, async () => policy.read());
  app.put(API_ROUTES.approvalPolicy, { preHandler: opts.preHandler }, async (req, reply) => {
    const p = req.principal!;
    if (!may(p.roles, 'changeApprovalPolicy')) {
      return reply.status(404).send({ error: 'not_found', message: 'no such setting' });
    }
    const parsed = policyBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      return reply.status(400).send({
        error: 'invalid_request',
        message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      });
    }
    const known = await opts.changingTools(req);
    const unknown = parsed.data.alwaysAsk.filter((t) => !known.includes(t));
    if (unknown.length) {
      return reply.status(400).send({
        error: 'invalid_request',
        message: `no tool that changes data is named ${unknown.join(', ')}; there are ${known.join(', ')}`,
      });
    }
    return policy.setAlwaysAsk(parsed.data.alwaysAsk, p);
  });
}
