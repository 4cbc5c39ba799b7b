/**
 * `node services/ticketing directory import FILE.json`: the administrator's way to name organizations and
 * register support staff in the ticketing server's own directory (README.md). The file is checked whole
 * before anything is written; the import is one transaction. Runs next to a live server (SQLite WAL, or
 * the PostgreSQL database DATABASE_URL names).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ROLES, UsageError, databaseSpec, parseConfig } from '@msi/kit';
import { openTicketingStore, whereIs } from './db.js';
import { Directory } from './store/directory.js';

const USAGE =
  'usage: node services/ticketing directory import FILE.json   (into DATABASE_URL, else MSI_DATA_DIR)';

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,119}$/,
    'must be a slug: lowercase letters, digits and "-" (e.g. dallas-police)',
  );
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const directoryFile = z
  .object({
    organizations: z
      .array(z.object({ slug, name, legacyName: name.nullable().optional() }).strict())
      .default([]),
    staff: z
      .array(
        z
          .object({
            username: z
              .string()
              .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be a username (letters, digits, . _ @ -)'),
            name,
            role: z.enum(ROLES.filter((r) => r !== 'customer') as ['agent', 'supervisor', 'admin']),
            organizations: z.array(slug).default([]),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** Why a parsed file is not a directory, one line per problem with its place (`staff.0.role: ...`). */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('\n');
}

/** Runs under the kit's `runCommand`: a bad command line or file ends with one line and EX_USAGE (64). */
export async function directoryCli(args: string[]): Promise<void> {
  if (args[0] !== 'import' || args.length !== 2) throw new UsageError(USAGE);
  const file = resolve(args[1]!);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}; nothing was imported`);
  }
  const parsed = directoryFile.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(
      `${file} is not a directory file; nothing was imported:\n${describeIssues(parsed.error)}`,
    );
  }
  const cfg = parseConfig(databaseSpec(), process.env);
  const dataDir = resolve(process.env.MSI_DATA_DIR || './.data');
  const store = await openTicketingStore({
    dataDir,
    url: cfg.DATABASE_URL,
    connectTimeoutMs: cfg.DATABASE_CONNECT_TIMEOUT_MS,
  });
  try {
    const n = await new Directory(store, () => new Date().toISOString()).import(parsed.data);
    const where = whereIs(store, dataDir, cfg.DATABASE_URL);
    process.stdout.write(`imported ${n.organizations} organizations and ${n.staff} staff into ${where}\n`);
  } finally {
    await store.close();
  }
}
