/**
 * deploy/prometheus: promtool accepts the alert rules and the scrape config, and the rules' unit tests
 * pass (each alert fires over the seed's threshold and stays quiet under it). promtool comes with
 * Debian's `prometheus` package (.ci/run installs it).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alertRules,
  alertTestCoverage,
  metricNames,
  PROMETHEUS_DIR,
} from '../../../test/support/alert-rules.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
if (!hasPromtool)
  console.warn(
    'alert-rules.test: promtool is not installed (apt-get install prometheus); promtool checks skipped',
  );

const run = (...args: string[]) =>
  spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8', timeout: 60_000 });

// Skipped only where promtool is missing (the warning above says so); CI installs it.
describe.skipIf(!hasPromtool)('promtool', () => {
  it('checks the rules file', () => {
    const r = run('check', 'rules', 'alerts.yml');
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(r.status).toBe(0);
  });

  it('passes the unit tests of every alert', () => {
    const r = run('test', 'rules', 'alerts.test.yml');
    expect(r.stdout + r.stderr, r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('checks the scrape config (syntax; the token file exists only where Prometheus runs)', () => {
    const r = run('check', 'config', '--syntax-only', 'prometheus.yml');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('fails a rules file whose threshold moved (the unit tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msi-alerts-'));
    try {
      copyFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), join(dir, 'alerts.test.yml'));
      const rules = readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8').replace(
        'msi_db_pool_in_use / msi_db_pool_max > 0.8',
        'msi_db_pool_in_use / msi_db_pool_max > 0.95',
      );
      writeFileSync(join(dir, 'alerts.yml'), rules);
      const r = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('MsiDatabasePoolNearlyFull');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alert rules', () => {
  it('cover the seed table: response time, error rate, model budgets, pool, memory, CPU', () => {
    const names = alertRules().map((r) => r.alert);
    expect(names).toEqual([
      'MsiHighResponseTime',
      'MsiHighErrorRate',
      'MsiModelCallBudgetExceeded',
      'MsiModelTokenBudgetExceeded',
      'MsiModelCostBudgetExceeded',
      'MsiDatabasePoolNearlyFull',
      'MsiHighMemoryUsage',
      'MsiHighCpuUsage',
    ]);
    const threshold = (alert: string) => alertRules().find((r) => r.alert === alert)!.expr;
    expect(threshold('MsiHighResponseTime')).toMatch(/\)\s*> 3\s*$/);
    expect(threshold('MsiHighErrorRate')).toMatch(/> 0\.05\s*$/);
    expect(threshold('MsiDatabasePoolNearlyFull')).toMatch(/> 0\.8\s*$/);
    expect(threshold('MsiHighMemoryUsage')).toMatch(/> 0\.85\s*$/);
    expect(threshold('MsiHighCpuUsage')).toMatch(/> 0\.8\s*$/);
  });

  it('each have a severity, a summary, what to do, and unit tests both ways', () => {
    const coverage = alertTestCoverage();
    for (const r of alertRules()) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.action, r.alert).toBeTruthy();
      expect(r.annotations?.runbook, r.alert).toBe(`docs/monitoring.md#${r.alert.toLowerCase()}`);
      const c = coverage.get(r.alert);
      expect(c?.fires, `${r.alert}: a test where it fires`).toBeGreaterThan(0);
      expect(c?.quiet, `${r.alert}: a test where it stays quiet`).toBeGreaterThan(0);
    }
  });

  it('name metrics, not functions or labels', () => {
    expect(metricNames('sum by (job, le) (rate(msi_x_bucket{a="b"}[5m])) / max(y_total) > 3')).toEqual([
      'msi_x_bucket',
      'y_total',
    ]);
  });
});
