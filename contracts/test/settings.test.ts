import { describe, expect, it } from 'vitest';
import { SettingsUpdateSchema, StoredSettingsSchema } from '../src/settings.js';

describe('settings schemas', () => {
  it('fills every default from an empty file', () => {
    expect(StoredSettingsSchema.parse({})).toEqual({
      mode: 'local',
      remote: { issuer: '', apiUrl: '' },
      model: { provider: 'offline', model: 'gpt-4o-mini', baseUrl: '' },
      theme: 'system',
    });
  });

  it('trims URLs and refuses what is not http(s) or not a setting', () => {
    expect(SettingsUpdateSchema.parse({ remote: { issuer: ' https://id.example/ ' } })).toEqual({
      remote: { issuer: 'https://id.example' },
    });
    const paths = (raw: unknown) => {
      const r = SettingsUpdateSchema.safeParse(raw);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(paths({ remote: { apiUrl: 'ftp://x' } })).toEqual([
      'remote.apiUrl: must be an http(s) URL (or empty)',
    ]);
    expect(paths({ colour: 'red' })).toEqual([expect.stringContaining('colour')]);
  });

  it("takes a remote provider's client id and scopes; the scopes must be scope tokens with openid", () => {
    expect(
      SettingsUpdateSchema.parse({
        remote: { clientId: ' msi-desktop-prod ', scopes: 'openid profile offline_access msi:api' },
      }),
    ).toEqual({ remote: { clientId: 'msi-desktop-prod', scopes: 'openid profile offline_access msi:api' } });
    const problems = (remote: unknown) => {
      const r = SettingsUpdateSchema.safeParse({ remote });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ scopes: 'profile api' })).toEqual(['remote.scopes: must include openid']);
    expect(problems({ scopes: 'openid  "api"' })).toEqual([
      'remote.scopes: must be scopes separated by single spaces',
    ]);
    expect(problems({ clientId: 'café' })).toEqual(['remote.clientId: must be printable ASCII']);
  });
});
