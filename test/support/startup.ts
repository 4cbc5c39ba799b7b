/**
 * The start-up every service shares (the kit's runService), checked on the real built service as a
 * process: it listens and logs `listening` with startupMs, stops with exit 0 on SIGTERM, and ends with the
 * kit's exit codes (docs/exit-codes.md) and one line on stderr when it cannot start: a bad variable (78),
 * an unusable SQLite file (74, the line names the file), a taken port (98).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '@msi/kit';
import { dbFile } from './data-dir.js';
import { freshDirs } from './fresh-dirs.js';
import { testServerUrl, withDatabase } from './database.js';
import { runToExit, startService, type ServiceName } from './services.js';

/** Ways a service's SQLite file can be unusable: each prepares `file` so. */
export const UNUSABLE_DB: {
  what: string;
  make(file: string): void;
  /** The path the one line must name (default: the file). */
  names?: (file: string) => string;
  rootCannot?: boolean;
}[] = [
  {
    what: 'a file that is not a database',
    make: (file) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'this is not a database, just text '.repeat(200));
    },
  },
  { what: 'a directory where the file belongs', make: (file) => mkdirSync(file, { recursive: true }) },
  {
    what: 'a symbolic link that points at itself (cannot be opened)',
    make: (file) => {
      mkdirSync(dirname(file), { recursive: true });
      symlinkSync(file, file);
    },
  },
  {
    what: 'a file nobody may read',
    rootCannot: true,
    make: (file) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '');
      chmodSync(file, 0o000);
    },
  },
  {
    what: 'in a folder that cannot be created (a file has its name)',
    names: dirname,
    make: (file) => {
      mkdirSync(dirname(dirname(file)), { recursive: true });
      writeFileSync(dirname(file), '');
    },
  },
];

const isRoot = process.getuid?.() === 0;

/** The start-up suite for `service`; `env` is what it needs besides MSI_DATA_DIR and PORT. */
export function describeStartup(service: ServiceName, env: Record<string, string>): void {
  const dataDir = freshDirs(`msi-startup-${service}-`);

  describe(`${service} start-up`, () => {
    it('listens, logs listening with startupMs, and exits 0 on SIGTERM', async () => {
      const svc = await startService(service, { ...env, MSI_DATA_DIR: dataDir(), LOG_LEVEL: 'info' });
      const exited = new Promise<number | null>((r) => svc.proc.once('exit', (code) => r(code)));
      await svc.stop();
      expect(await exited).toBe(EXIT.ok);
      const listening = svc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; startupMs?: number; url?: string })
        .find((l) => l.msg === 'listening');
      expect(listening?.url).toBe(svc.url);
      expect(listening?.startupMs).toBeGreaterThan(0);
      expect(svc.output()).toContain('"msg":"shutting down"');
    });

    it('a malformed variable: exit 78 and one line naming it', () => {
      const r = runToExit(service, { ...env, MSI_DATA_DIR: dataDir(), PORT: 'not-a-port' });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr).toBe(`${service}: config: PORT must be a port number 0-65535 (got "not-a-port")\n`);
    });

    for (const bad of UNUSABLE_DB) {
      // Skipped as root only: root reads a mode-000 file, so an unreadable file cannot be made for it (CI
      // runs as root). The case runs for any other user; it was checked by hand as `nobody` (exit 74).
      it.skipIf(bad.rootCannot && isRoot)(
        `its SQLite file is ${bad.what}: exit 74 and one line naming it`,
        () => {
          const dir = dataDir();
          const file = dbFile(dir, service);
          bad.make(file);
          const r = runToExit(service, { ...env, MSI_DATA_DIR: dir, PORT: '0' });
          expect(r.status).toBe(EXIT.dataUnusable);
          expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
          expect(r.stderr.startsWith(`${service}: `)).toBe(true);
          expect(r.stderr).toContain((bad.names ?? String)(file));
          expect(r.stdout).not.toMatch(/"msg":"listening"/);
        },
      );
    }

    it('a taken port: exit 98 and one line naming it', async () => {
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      try {
        const r = runToExit(service, { ...env, MSI_DATA_DIR: dataDir(), PORT: String(port) });
        expect(r.status).toBe(EXIT.portInUse);
        expect(r.stderr).toBe(
          `${service}: port ${port} on 127.0.0.1 is already in use; set PORT to a free port\n`,
        );
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });
  });
}

/**
 * The start-up cases of a service that takes DATABASE_URL (docs/postgresql.md): a malformed URL is a bad
 * variable (78, the line names DATABASE_URL and never its password), a database that does not exist too
 * (78, "create it first"), and a server that does not answer within DATABASE_CONNECT_TIMEOUT_MS is
 * unavailable (69, the line names the service's database).
 */
export function describeDatabaseStartup(service: ServiceName, env: Record<string, string>): void {
  const dataDir = freshDirs(`msi-startup-db-${service}-`);
  const run = (extra: Record<string, string>) =>
    runToExit(service, { ...env, MSI_DATA_DIR: dataDir(), PORT: '0', ...extra });

  describe(`${service} start-up with DATABASE_URL`, () => {
    it('a malformed DATABASE_URL: exit 78 and one line naming it, without its password', () => {
      const r = run({ DATABASE_URL: 'mysql://msi:s3cret@127.0.0.1/msi' });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(new RegExp(`^${service}: config: DATABASE_URL `));
      expect(r.stderr).not.toContain('s3cret');
    });

    it.runIf(testServerUrl())('a database that does not exist: exit 78 naming DATABASE_URL', () => {
      const r = run({ DATABASE_URL: withDatabase(testServerUrl()!, `msi_t_missing_${service}_db`) });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(new RegExp(`^${service}: config: DATABASE_URL .*create it first`));
    });

    it('a server that does not answer: exit 69 and one line naming the database', async () => {
      // A port nobody listens on: connections are refused until the connect timeout.
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      await new Promise((r) => blocker.close(r));
      const started = Date.now();
      const r = run({
        DATABASE_URL: `postgres://msi:s3cret@127.0.0.1:${port}/msi_${service}`,
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
      });
      expect(r.status).toBe(EXIT.unavailable);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toContain(`${service}: the ${service} database is unavailable`);
      expect(r.stderr).not.toContain('s3cret');
      expect(r.stdout).not.toMatch(/"msg":"listening"/);
    });
  });
}
