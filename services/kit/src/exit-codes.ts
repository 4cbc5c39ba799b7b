/**
 * How our processes end: one table for the four services, their commands and the stack command, read by
 * the supervisor to tell a crash (restart it) from a problem a restart cannot fix (say what it is).
 * Pure data with no imports: the supervisor loads it as `@msi/kit/exit-codes`. Documented in
 * docs/exit-codes.md. The numbers follow sysexits.h where it has one.
 */
export const EXIT = {
  /** Stopped as asked (SIGTERM, SIGINT, the parent gone), or a command finished. */
  ok: 0,
  /** An unexpected error, a bug: the stack trace is on stderr. Worth a restart. */
  crash: 1,
  /** EX_USAGE: an unknown command or a bad command-line argument. */
  usage: 64,
  /**
   * EX_UNAVAILABLE: a server the service needs (its PostgreSQL database) did not answer within the
   * connect timeout. Worth a restart: it may be back.
   */
  unavailable: 69,
  /** EX_CANTCREAT: a command refused to write over data it never overwrites (seeding a used data dir). */
  wouldOverwrite: 73,
  /**
   * EX_IOERR: the data dir or a file in it cannot be used: not a database, a directory where a file
   * belongs, unreadable, a schema newer than this build, a corrupt key file.
   */
  dataUnusable: 74,
  /** EX_CONFIG: a missing or malformed environment variable, or a broken settings file. */
  config: 78,
  /** EADDRINUSE's number on Linux: the port is taken, or may not be bound on that host. */
  portInUse: 98,
} as const;

export type ExitName = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitName];

export interface ExitMeaning {
  name: ExitName;
  code: ExitCode;
  /** A few words for a status line: "data dir unusable". */
  summary: string;
  /**
   * What a supervisor does: `restart` (with backoff, until too many crashes), `new-port` (choose another
   * port, then restart), `give-up` (restarting would fail the same way: report it at once).
   */
  supervisor: 'restart' | 'new-port' | 'give-up';
}

const MEANINGS: ExitMeaning[] = [
  { name: 'ok', code: EXIT.ok, summary: 'stopped', supervisor: 'restart' },
  { name: 'crash', code: EXIT.crash, summary: 'crashed', supervisor: 'restart' },
  { name: 'usage', code: EXIT.usage, summary: 'bad command line', supervisor: 'give-up' },
  { name: 'unavailable', code: EXIT.unavailable, summary: 'database unavailable', supervisor: 'restart' },
  {
    name: 'wouldOverwrite',
    code: EXIT.wouldOverwrite,
    summary: 'refused to overwrite data',
    supervisor: 'give-up',
  },
  { name: 'dataUnusable', code: EXIT.dataUnusable, summary: 'data dir unusable', supervisor: 'give-up' },
  { name: 'config', code: EXIT.config, summary: 'configuration error', supervisor: 'give-up' },
  { name: 'portInUse', code: EXIT.portInUse, summary: 'port in use', supervisor: 'new-port' },
];

/** The table entry for an exit code, or undefined for a code we never use on purpose. */
export function exitMeaning(code: number | null | undefined): ExitMeaning | undefined {
  return MEANINGS.find((m) => m.code === code);
}

/** Every entry, in code order (docs and tests). */
export function exitTable(): readonly ExitMeaning[] {
  return MEANINGS;
}

/** Ends the process with `code` after one line on stderr: `<who>: <why>`. */
export function exitWith(who: string, code: ExitCode, why: string): never {
  process.stderr.write(`${who}: ${why}\n`);
  process.exit(code);
}
