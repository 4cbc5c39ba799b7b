import { describe, expect, it } from 'vitest';
import { SERVICE_ENV, type OurServiceName } from '@msi/contracts/endpoints';
import { apiSpec } from '../../../../services/api/src/config.js';
import { idpSpec } from '../../../../services/idp/src/config.js';
import { organizationsSpec } from '../../../../services/organizations/src/config.js';
import { ticketingSpec } from '../../../../services/ticketing/src/config.js';
import { devLayout } from '../../../src/node/layout.js';
import { SERVICES, type StackContext } from '../../../src/node/supervisor/services.js';

const ctx = (model: StackContext['model'], docsDir?: string): StackContext => ({
  dataDir: '/data',
  ports: { idp: 1, ticketing: 2, organizations: 3, chroma: 4, api: 5 },
  urls: {
    idp: 'http://127.0.0.1:1',
    ticketing: 'http://127.0.0.1:2',
    organizations: 'http://127.0.0.1:3',
    chroma: 'http://127.0.0.1:4',
    api: 'http://127.0.0.1:5',
  },
  rendererOrigin: 'http://127.0.0.1:4200',
  apiClientSecret: 's3cret',
  docsDir,
  model,
});
const offline = { provider: 'offline' as const, model: 'gpt-4o-mini', baseUrl: '' };

describe('service environments (DESIGN.md, Running the parts)', () => {
  it('gives the IDP its audiences, the API client secret, demo mode and the renderer origin', () => {
    expect(SERVICES.idp.env(ctx(offline))).toEqual({
      PORT: '1',
      HOST: '127.0.0.1',
      MSI_DATA_DIR: '/data',
      PUBLIC_URL: 'http://127.0.0.1:1',
      IDP_ISSUER: 'http://127.0.0.1:1',
      API_CLIENT_SECRET: 's3cret',
      IDP_DEMO: 'true',
      API_URL: 'http://127.0.0.1:5',
      TICKETING_URL: 'http://127.0.0.1:2',
      ORGANIZATIONS_URL: 'http://127.0.0.1:3',
      ALLOWED_ORIGINS: 'http://127.0.0.1:4200',
    });
  });

  it('gives the API its dependencies and no model key when offline', () => {
    const env = SERVICES.api.env(ctx(offline));
    expect(env).toMatchObject({
      PORT: '5',
      IDP_ISSUER: 'http://127.0.0.1:1',
      TICKETING_URL: 'http://127.0.0.1:2',
      ORGANIZATIONS_URL: 'http://127.0.0.1:3',
      CHROMA_URL: 'http://127.0.0.1:4',
      API_CLIENT_ID: 'msi-api',
      API_CLIENT_SECRET: 's3cret',
      ALLOWED_ORIGINS: 'http://127.0.0.1:4200',
    });
    expect(Object.keys(env).filter((k) => k.startsWith('OPENAI_') || k === 'KNOWLEDGE_DOCS_DIR')).toEqual([]);
  });

  it('passes OPENAI_* only for the openai provider with a key, and the docs dir when given', () => {
    const env = SERVICES.api.env(
      ctx(
        { provider: 'openai', model: 'llama3', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'k' },
        '/res/docs',
      ),
    );
    expect(env).toMatchObject({
      OPENAI_API_KEY: 'k',
      OPENAI_MODEL: 'llama3',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      KNOWLEDGE_DOCS_DIR: '/res/docs',
    });
    expect(SERVICES.api.env(ctx({ ...offline, apiKey: 'k' }))).not.toHaveProperty('OPENAI_API_KEY');
  });

  it('runs chroma as services/chroma, configured by the environment like the others', () => {
    const layout = devLayout('/app');
    expect(SERVICES.chroma.args(layout, ctx(offline))).toEqual(['/app/services/chroma']);
    const env = SERVICES.chroma.env(ctx(offline));
    expect(env).toEqual({
      PORT: '4',
      HOST: '127.0.0.1',
      MSI_DATA_DIR: '/data',
      CHROMA_TOKEN: expect.any(String),
    });
    // Chroma runs with its token, and the API is the one given it.
    expect(env.CHROMA_TOKEN).toHaveLength(43);
    expect(SERVICES.api.env(ctx(offline)).CHROMA_TOKEN).toBe(env.CHROMA_TOKEN);
    expect(SERVICES.chroma.healthPath).toBe('/api/v2/heartbeat');
    expect(SERVICES.ticketing.args(layout, ctx(offline))).toEqual(['/app/services/ticketing']);
  });
});

describe('environment names (contracts SERVICE_ENV)', () => {
  const specs = { idp: idpSpec, ticketing: ticketingSpec, organizations: organizationsSpec, api: apiSpec };
  const openai = { provider: 'openai' as const, model: 'm', baseUrl: 'http://llm:1', apiKey: 'k' };

  it.each(Object.keys(SERVICE_ENV) as OurServiceName[])(
    '%s reads every name the contract gives it, and the supervisor sets no other',
    (name) => {
      const reads = Object.keys(specs[name]);
      expect(SERVICE_ENV[name].filter((n) => !reads.includes(n))).toEqual([]);
      const set = Object.keys(SERVICES[name].env(ctx(openai, '/docs')));
      // IDP_ISSUER goes to every service; the IDP is its own issuer (PUBLIC_URL) and ignores it.
      const allowed: readonly string[] =
        name === 'idp' ? [...SERVICE_ENV.idp, 'IDP_ISSUER'] : SERVICE_ENV[name];
      expect(set.filter((n) => !allowed.includes(n))).toEqual([]);
    },
  );
});
