/**
 * Production mode's part of GET /readyz: the seed's "Security Hardening" checklist (deployment-
 * architecture.md), one check per item, in its order: HTTPS, a real identity provider, secrets managed,
 * rate limiting, monitoring, backups. Each failing one names what to fix; start-up already refused what
 * it can refuse (production.ts), these are what a running deployment can still lack.
 */
import { readdirSync, statSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { sameIssuer, secretProblem, type Check, type CheckResult } from '@msi/kit';
import type { ApiConfig } from './config.js';

/** More than this many requests a minute per person is no limit worth the name. */
export const MAX_RATE_LIMIT_PER_MINUTE = 1000;

const ok = (detail: string): CheckResult => ({ ok: true, detail });
const fail = (detail: string, summary: string): CheckResult => ({ ok: false, detail, summary });

export function hardeningChecks(cfg: ApiConfig, timeoutMs = 3000): Check[] {
  return [
    {
      name: 'https',
      async check() {
        const urls = {
          PUBLIC_URL: cfg.publicUrl,
          IDP_ISSUER: cfg.IDP_ISSUER,
          TICKETING_URL: cfg.TICKETING_URL,
          ORGANIZATIONS_URL: cfg.ORGANIZATIONS_URL,
        };
        const plain = Object.entries(urls).filter(([, u]) => !u.startsWith('https://'));
        return plain.length
          ? fail(
              `plain http: ${plain.map(([n, u]) => `${n}=${u}`).join(', ')}${cfg.ALLOW_HTTP ? ' (ALLOW_HTTP=true)' : ''}`,
              'is not enabled (plain http)',
            )
          : ok('every URL is https');
      },
    },
    {
      name: 'identity provider',
      check: () => identityProviderCheck(cfg, timeoutMs),
    },
    {
      name: 'secrets',
      async check() {
        const problem = secretProblem(cfg.API_CLIENT_SECRET);
        if (problem) return fail(`API_CLIENT_SECRET: ${problem}`, 'are not managed');
        const from = Object.entries(cfg.secretSources)
          .filter(([, s]) => s !== 'unset')
          .map(([n, s]) => `${n} from the ${s}`);
        return ok(from.join(', '));
      },
    },
    {
      name: 'rate limiting',
      async check() {
        return cfg.RATE_LIMIT_REQUESTS > MAX_RATE_LIMIT_PER_MINUTE
          ? fail(
              `RATE_LIMIT_REQUESTS=${cfg.RATE_LIMIT_REQUESTS} a minute per person is above ${MAX_RATE_LIMIT_PER_MINUTE}`,
              'is not effective',
            )
          : ok(`${cfg.RATE_LIMIT_REQUESTS} requests a minute per person`);
      },
    },
    {
      name: 'monitoring',
      async check() {
        return cfg.METRICS_TOKEN
          ? ok('GET /metrics serves the metrics to the METRICS_TOKEN bearer')
          : fail(
              'METRICS_TOKEN is not set: no monitoring scrapes /metrics with its own token',
              'is not configured',
            );
      },
    },
    { name: 'backups', check: async () => backupCheck(cfg) },
  ];
}

async function identityProviderCheck(cfg: ApiConfig, timeoutMs: number): Promise<CheckResult> {
  const url = `${cfg.IDP_ISSUER}/.well-known/openid-configuration`;
  let doc: Record<string, unknown>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return fail(`${url} answered HTTP ${res.status}`, 'is not reachable');
    doc = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    return fail(`${url}: ${(err as Error).message}`, 'is not reachable');
  }
  if (!sameIssuer(doc.issuer, cfg.IDP_ISSUER))
    return fail(
      `discovery names issuer ${String(doc.issuer)}, IDP_ISSUER is ${cfg.IDP_ISSUER}`,
      'is misconfigured',
    );
  // Our own IDP says so in its discovery document when it runs with its demo users (IDP_DEMO=true).
  if (doc.msi_demo === true)
    return fail(
      `${cfg.IDP_ISSUER} is the embedded IDP with its demo users (IDP_DEMO=true)`,
      'is the demo IDP',
    );
  const grants = doc.grant_types_supported;
  if (Array.isArray(grants) && !grants.includes('urn:ietf:params:oauth:grant-type:token-exchange'))
    return fail(`${cfg.IDP_ISSUER} does not offer token exchange (RFC 8693)`, 'cannot exchange tokens');
  return ok(`${cfg.IDP_ISSUER} (discovery ok)`);
}

function backupCheck(cfg: ApiConfig): CheckResult {
  const dir = cfg.BACKUP_DIR;
  if (!dir) return fail('BACKUP_DIR is not set: where do the backups go?', 'are not configured');
  let newest = 0;
  try {
    accessSync(dir, constants.W_OK);
    for (const name of readdirSync(dir)) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  } catch (err) {
    return fail(
      `BACKUP_DIR ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'are not configured',
    );
  }
  if (!newest) return fail(`BACKUP_DIR ${dir} holds no backup yet`, 'have not run');
  const hours = (Date.now() - newest) / 3_600_000;
  return hours > cfg.BACKUP_MAX_AGE_HOURS
    ? fail(
        `the newest backup in ${dir} is ${Math.round(hours)} h old (BACKUP_MAX_AGE_HOURS=${cfg.BACKUP_MAX_AGE_HOURS})`,
        'are out of date',
      )
    : ok(`the newest backup in ${dir} is ${hours < 1 ? 'under an hour' : `${Math.round(hours)} h`} old`);
}
