/**
 * Production mode (MSI_ENV=production): every service refuses the demo settings at start-up with the
 * kit's config exit (78) and one line naming the variable; secrets may come from NAME_FILE. The rules
 * themselves (production.ts) first, then each real service as a process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '@msi/kit';
import { ConfigError, refuseDemoSettings, secretProblem, withSecretFiles } from '../src/index.js';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { clientCredentialsToken, IdpError, startIdp } from '../../../test/support/idp.js';
import { runToExit, type ServiceName } from '../../../test/support/services.js';

const fresh = freshDirs('msi-production-');
const GOOD_SECRET = 'k3Yq0sVw8mR2tX6zB9nC4pL7hJ1fD5gA';
const prod = { MSI_ENV: 'production' as const, ALLOW_HTTP: false };
const refusal = (f: () => void) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return undefined;
};

describe('the rules', () => {
  it('do nothing outside production mode', () => {
    expect(
      refusal(() =>
        refuseDemoSettings(
          { MSI_ENV: 'development', ALLOW_HTTP: false },
          { off: { IDP_DEMO: true }, secrets: { S: 'demo' }, urls: { PUBLIC_URL: 'http://x' } },
        ),
      ),
    ).toBeUndefined();
  });

  it('refuse demo mode, published or short secrets, plain http; ALLOW_HTTP allows http only', () => {
    expect(refusal(() => refuseDemoSettings(prod, { off: { IDP_DEMO: true } }))).toBe(
      'config: IDP_DEMO must be false when MSI_ENV=production (got "true")',
    );
    expect(secretProblem('test-api-client-secret')).toBe('it is a published default');
    expect(secretProblem('Ch4ngeMe')).toBe('it is shorter than 32 characters');
    expect(secretProblem(undefined)).toBe('it is not set');
    expect(secretProblem(GOOD_SECRET)).toBeUndefined();
    const secret = refusal(() => refuseDemoSettings(prod, { secrets: { API_CLIENT_SECRET: 'changeme' } }));
    expect(secret).toBe(
      'config: API_CLIENT_SECRET must be a secret of the deployment when MSI_ENV=production (it is a published default; or set API_CLIENT_SECRET_FILE) (got "…")',
    );
    expect(secret).not.toContain('changeme');
    expect(refusal(() => refuseDemoSettings(prod, { urls: { PUBLIC_URL: undefined } }))).toBe(
      'config: PUBLIC_URL must be an https URL when MSI_ENV=production (or set ALLOW_HTTP=true) (not set)',
    );
    const http = { urls: { IDP_ISSUER: 'http://idp.example.com' } };
    expect(refusal(() => refuseDemoSettings(prod, http))).toContain('IDP_ISSUER must be an https URL');
    expect(refusal(() => refuseDemoSettings({ ...prod, ALLOW_HTTP: true }, http))).toBeUndefined();
    expect(
      refusal(() =>
        refuseDemoSettings({ ...prod, ALLOW_HTTP: true }, { secrets: { API_CLIENT_SECRET: 'short' } }),
      ),
    ).toContain('shorter than 32');
    expect(
      refusal(() => refuseDemoSettings(prod, { urls: { PUBLIC_URL: 'https://api.example.com' } })),
    ).toBeUndefined();
  });

  it('read NAME from NAME_FILE when NAME is not set; an unreadable or empty file names NAME_FILE', () => {
    const dir = fresh();
    const file = join(dir, 'secret');
    writeFileSync(file, `${GOOD_SECRET}\n`);
    expect(withSecretFiles({ S_FILE: file }, ['S']).S).toBe(GOOD_SECRET);
    expect(withSecretFiles({ S: 'env wins', S_FILE: file }, ['S']).S).toBe('env wins');
    expect(refusal(() => withSecretFiles({ S_FILE: join(dir, 'missing') }, ['S']))).toBe(
      `config: S_FILE must be a readable file holding S (ENOENT) (got ${JSON.stringify(join(dir, 'missing'))})`,
    );
    writeFileSync(file, '\n');
    expect(refusal(() => withSecretFiles({ S_FILE: file }, ['S']))).toContain('(it is empty)');
  });
});

describe('each service in production mode', () => {
  const https = 'https://msi.example.com';
  /** What each needs to start in production mode (everything https, a real secret). */
  const base: Record<ServiceName, Record<string, string>> = {
    idp: {
      API_CLIENT_SECRET: GOOD_SECRET,
      PUBLIC_URL: `${https}/idp`,
      API_URL: `${https}/api`,
      TICKETING_URL: `${https}/ticketing`,
      ORGANIZATIONS_URL: `${https}/organizations`,
    },
    api: {
      API_CLIENT_SECRET: GOOD_SECRET,
      PUBLIC_URL: `${https}/api`,
      IDP_ISSUER: `${https}/idp`,
      TICKETING_URL: `${https}/ticketing`,
      ORGANIZATIONS_URL: `${https}/organizations`,
      CHROMA_URL: 'http://127.0.0.1:1',
    },
    ticketing: { PUBLIC_URL: `${https}/ticketing`, IDP_ISSUER: `${https}/idp` },
    organizations: { PUBLIC_URL: `${https}/organizations`, IDP_ISSUER: `${https}/idp` },
  };
  const start = (service: ServiceName, env: Record<string, string | undefined>) =>
    runToExit(service, { MSI_ENV: 'production', MSI_DATA_DIR: fresh(), PORT: '0', ...base[service], ...env });

  const cases: [ServiceName, Record<string, string | undefined>, string][] = [
    ['idp', { IDP_DEMO: 'true' }, 'idp: config: IDP_DEMO must be false when MSI_ENV=production (got "true")'],
    [
      'idp',
      { API_CLIENT_SECRET: 'test-api-client-secret' },
      'idp: config: API_CLIENT_SECRET must be a secret of the deployment when MSI_ENV=production (it is a published default; or set API_CLIENT_SECRET_FILE) (got "…")',
    ],
    [
      'api',
      { API_CLIENT_SECRET: 'secret' },
      'api: config: API_CLIENT_SECRET must be a secret of the deployment when MSI_ENV=production (it is a published default; or set API_CLIENT_SECRET_FILE) (got "…")',
    ],
    [
      'api',
      { IDP_ISSUER: 'http://idp.example.com' },
      'api: config: IDP_ISSUER must be an https URL when MSI_ENV=production (or set ALLOW_HTTP=true) (got "http://idp.example.com")',
    ],
    [
      'ticketing',
      { PUBLIC_URL: undefined },
      'ticketing: config: PUBLIC_URL must be an https URL when MSI_ENV=production (or set ALLOW_HTTP=true) (not set)',
    ],
    [
      'organizations',
      { IDP_ISSUER: 'http://127.0.0.1:9400' },
      'organizations: config: IDP_ISSUER must be an https URL when MSI_ENV=production (or set ALLOW_HTTP=true) (got "http://127.0.0.1:9400")',
    ],
  ];
  for (const [service, env, line] of cases) {
    it(`${service} with ${Object.keys(env).join(', ')}: exit 78 and one line naming it`, () => {
      const r = start(service, env);
      expect(r.status).toBe(EXIT.config);
      expect(r.stderr).toBe(`${line}\n`);
    });
  }

  it('a secret from API_CLIENT_SECRET_FILE is used; a demo value from the file is refused', async () => {
    const dir = fresh();
    const file = join(dir, 'client-secret');
    writeFileSync(file, 'test-api-client-secret\n', { mode: 0o600 });
    const refused = start('idp', { API_CLIENT_SECRET: undefined, API_CLIENT_SECRET_FILE: file });
    expect(refused.status).toBe(EXIT.config);
    expect(refused.stderr).toContain('API_CLIENT_SECRET must be a secret of the deployment');
    // A good secret from the file: the IDP starts in production mode and takes it from the API's client.
    writeFileSync(file, GOOD_SECRET);
    const idp = await startIdp({
      demo: false,
      env: {
        MSI_ENV: 'production',
        ALLOW_HTTP: 'true',
        API_CLIENT_SECRET: undefined,
        API_CLIENT_SECRET_FILE: file,
      },
    });
    try {
      const t = await clientCredentialsToken(idp.issuer, {
        resource: idp.audiences.ticketing,
        clientSecret: GOOD_SECRET,
      });
      expect(t.access_token).toBeTruthy();
      const wrong = await clientCredentialsToken(idp.issuer, {
        resource: idp.audiences.ticketing,
        clientSecret: 'test-api-client-secret',
      }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(IdpError);
    } finally {
      await idp.stop();
    }
  });

  it('the claim mapping is checked at start-up too: a bad role map or a symmetric algorithm is exit 78', () => {
    const map = runToExit('ticketing', {
      MSI_DATA_DIR: fresh(),
      PORT: '0',
      IDP_ISSUER: 'http://127.0.0.1:9400',
      IDP_ROLE_MAP: 'msi-agent=superuser',
    });
    expect(map.status).toBe(EXIT.config);
    expect(map.stderr).toBe(
      'ticketing: config: IDP_ROLE_MAP must be external=role pairs, each role one of customer, agent, supervisor, admin (got "msi-agent=superuser")\n',
    );
    const alg = runToExit('api', {
      ...base.api,
      MSI_DATA_DIR: fresh(),
      PORT: '0',
      IDP_ALGORITHMS: 'RS256,HS256',
    });
    expect(alg.status).toBe(EXIT.config);
    expect(alg.stderr).toContain('api: config: IDP_ALGORITHMS must be asymmetric JWS algorithms');
  });
});
