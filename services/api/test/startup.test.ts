// The kit's start-up on the built API: listening, SIGTERM, and the exit codes of docs/exit-codes.md;
// and its database: a malformed or refused DATABASE_URL (78), an unreachable server (69 after the wait); the same for REDIS_URL.
import { describe, expect, it } from 'vitest';
import { EXIT } from '@msi/kit';
import { backends, testServerUrl, withDatabase } from '../../../test/support/database.js';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { runToExit } from '../../../test/support/services.js';
import { describeStartup } from '../../../test/support/startup.js';

const ENV = {
  API_CLIENT_SECRET: 'test-secret',
  IDP_ISSUER: 'http://127.0.0.1:9',
  CHROMA_URL: 'http://127.0.0.1:9',
};

describeStartup('api', ENV);

describe('api start-up with DATABASE_URL', () => {
  const dataDir = freshDirs('msi-startup-api-db-');

  it('a URL that is not a postgres:// URL: exit 78 and one line naming DATABASE_URL, password masked', () => {
    const r = runToExit('api', {
      ...ENV,
      MSI_DATA_DIR: dataDir(),
      PORT: '0',
      DATABASE_URL: 'mysql://msi:s3cret@db/msi_api',
    });
    expect(r.status).toBe(EXIT.config);
    expect(r.stderr).toBe(
      'api: config: DATABASE_URL must be a postgres://user@host:port/database URL when set (got "mysql://msi:***@db/msi_api")\n',
    );
  });

  it.skipIf(!backends().includes('postgres'))(
    'a database the server does not have: exit 78 and one line naming DATABASE_URL',
    () => {
      const url = withDatabase(testServerUrl()!, 'msi_api_no_such_database');
      const r = runToExit('api', { ...ENV, MSI_DATA_DIR: dataDir(), PORT: '0', DATABASE_URL: url });
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^api: config: DATABASE_URL must be an existing database/);
      expect(r.stderr).toContain('msi_api_no_such_database');
    },
  );

  it('a server that does not answer: exit 69 after DATABASE_CONNECT_TIMEOUT_MS, one line naming the database', () => {
    const t = performance.now();
    const r = runToExit('api', {
      ...ENV,
      MSI_DATA_DIR: dataDir(),
      PORT: '0',
      DATABASE_URL: 'postgres://msi@127.0.0.1:9/msi_api',
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
    });
    const ms = performance.now() - t;
    expect(r.status).toBe(EXIT.unavailable);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(
      /^api: the api database is unavailable \(.*ECONNREFUSED.*\); try again shortly\n$/,
    );
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(r.stdout).not.toMatch(/"msg":"listening"/);
  });
});

describe('api start-up with the monitoring variables', () => {
  const dataDir = freshDirs('msi-startup-api-metrics-');
  const start = (env: Record<string, string>) =>
    runToExit('api', { ...ENV, MSI_DATA_DIR: dataDir(), PORT: '0', ...env });

  it('MODEL_PRICES that is not the price table: exit 78 and one line naming it', () => {
    for (const bad of [
      '{gpt: 1}',
      '{"gpt-4o-mini": {"prompt": 0.15}}',
      '{"m": {"prompt": -1, "completion": 1}}',
    ]) {
      const r = start({ MODEL_PRICES: bad });
      expect(r.status, bad).toBe(EXIT.config);
      expect(r.stderr).toBe(
        `api: config: MODEL_PRICES must be JSON {"<model>": {"prompt": <USD per 1M tokens>, "completion": <USD per 1M tokens>}, ...} (got ${JSON.stringify(bad)})\n`,
      );
    }
  });

  it('a budget or memory limit that is not a number: exit 78 and one line naming it', () => {
    const r = start({ MODEL_BUDGET_TOKENS_PER_DAY: 'lots' });
    expect(r.status).toBe(EXIT.config);
    expect(r.stderr).toBe(
      'api: config: MODEL_BUDGET_TOKENS_PER_DAY must be a number 1-1000000000000000 when set (got "lots")\n',
    );
    const m = start({ METRICS_MEMORY_LIMIT_MB: '1.5' });
    expect(m.status).toBe(EXIT.config);
    expect(m.stderr).toBe(
      'api: config: METRICS_MEMORY_LIMIT_MB must be an integer 16-16777216 (MiB) when set (got "1.5")\n',
    );
  });
});

describe('api start-up with REDIS_URL', () => {
  const dataDir = freshDirs('msi-startup-api-redis-');

  it('a URL that is not a redis:// URL: exit 78 and one line naming REDIS_URL', () => {
    const r = runToExit('api', {
      ...ENV,
      MSI_DATA_DIR: dataDir(),
      PORT: '0',
      REDIS_URL: 'http://cache:6379',
    });
    expect(r.status).toBe(EXIT.config);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^api: config: REDIS_URL must be a redis:\/\//);
  });

  it('a Redis that does not answer: exit 69 after the connect timeout, one line naming Redis, not its password', () => {
    const r = runToExit('api', {
      ...ENV,
      MSI_DATA_DIR: dataDir(),
      PORT: '0',
      REDIS_URL: 'redis://:hunter2@127.0.0.1:9',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(r.status).toBe(EXIT.unavailable);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^api: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:9 is unavailable/);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stdout).not.toMatch(/"msg":"listening"/);
  });
});
