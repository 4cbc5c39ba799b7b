// The kit's start-up on the built ticketing server: listening, SIGTERM, and the exit codes of docs/exit-codes.md,
// with its database: a bad DATABASE_URL (78), a database that does not exist (78), no server (69).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EXIT } from '@msi/kit';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { testServerUrl, withDatabase } from '../../../test/support/database.js';
import { runToExit } from '../../../test/support/services.js';
import { describeStartup } from '../../../test/support/startup.js';

const env = { IDP_ISSUER: 'http://127.0.0.1:9', SEED_TICKETS: '20' };
describeStartup('ticketing', env);

describe('ticketing start-up with DATABASE_URL', () => {
  const dataDir = freshDirs('msi-startup-ticketing-db-');

  it('a malformed DATABASE_URL: exit 78 and one line naming the variable (no password shown)', () => {
    const r = runToExit('ticketing', {
      ...env,
      MSI_DATA_DIR: dataDir(),
      DATABASE_URL: 'mysql://ticketing:s3cret@db/msi_ticketing',
    });
    expect(r.status).toBe(EXIT.config);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^ticketing: config: DATABASE_URL must be /);
    expect(r.stderr).not.toContain('s3cret');
  });

  it.skipIf(!testServerUrl())(
    'a database that does not exist: exit 78 and one line naming the variable',
    () => {
      const url = withDatabase(testServerUrl()!, 'msi_t_no_such_database_here');
      const r = runToExit('ticketing', { ...env, MSI_DATA_DIR: dataDir(), DATABASE_URL: url });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^ticketing: config: DATABASE_URL must be an existing database/);
    },
  );

  it('a server that does not answer: exit 69 after the connect timeout, one line naming the database', async () => {
    // A port nobody listens on (bound, then closed).
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const t = Date.now();
    const r = runToExit('ticketing', {
      ...env,
      MSI_DATA_DIR: dataDir(),
      DATABASE_URL: `postgres://ticketing@127.0.0.1:${port}/msi_ticketing`,
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
    });
    expect(r.status).toBe(EXIT.unavailable);
    expect(Date.now() - t).toBeGreaterThanOrEqual(1500);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^ticketing: the ticketing database is unavailable \(.*ECONNREFUSED/);
    expect(r.stdout).not.toMatch(/"msg":"listening"/);
  });
});
