/**
 * The Prometheus alert rules of deploy/prometheus (alerts.yml and its promtool unit tests), read for the
 * tests that tie them to promtool and to what the services export.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { ROOT } from './services.js';

export const PROMETHEUS_DIR = join(ROOT, 'deploy', 'prometheus');

export interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = yaml.load(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as {
    groups: { rules: AlertRule[] }[];
  };
  return doc.groups.flatMap((g) => g.rules);
}

/** PromQL's words that look like metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names an expression reads (functions, label lists, label matchers and numbers left out). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // range selectors
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    // A word followed by "(" is a function or an aggregation.
    const after = bare.slice(m.index! + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word)) continue;
    names.add(word);
  }
  return [...names];
}

/** The promtool unit tests: for each alert, whether a test expects it to fire and one expects quiet. */
export function alertTestCoverage(): Map<string, { fires: number; quiet: number }> {
  const doc = yaml.load(readFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  };
  const out = new Map<string, { fires: number; quiet: number }>();
  for (const t of doc.tests)
    for (const a of t.alert_rule_test ?? []) {
      const c = out.get(a.alertname) ?? { fires: 0, quiet: 0 };
      if (a.exp_alerts?.length) c.fires++;
      else c.quiet++;
      out.set(a.alertname, c);
    }
  return out;
}

/**
 * The metric names a Prometheus text exposition declares (`# TYPE` lines), with a histogram's
 * `_bucket`, `_sum` and `_count` series.
 */
export function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
    if (m[2] === 'summary') for (const s of ['_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}
