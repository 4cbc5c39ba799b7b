import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../test/support/services.js';
import { DataDirProblem, loadOrCreateSecrets, prepareDataDir } from '../../src/node/data-dir.js';
import { MemorySecretStore, SettingsProblem, SettingsStore } from '../../src/node/settings.js';

const dirs: (() => void)[] = [];
const fresh = () => {
  const d = tempDataDir('msi-settings-');
  dirs.push(d.cleanup);
  return d.dir;
};
afterEach(() => dirs.splice(0).forEach((c) => c()));

describe('settings store', () => {
  it('starts with offline local defaults and persists an update atomically', () => {
    const dir = fresh();
    const store = new SettingsStore(dir, new MemorySecretStore());
    expect(store.get()).toEqual({
      mode: 'local',
      remote: { issuer: '', apiUrl: '' },
      model: { provider: 'offline', model: 'gpt-4o-mini', baseUrl: '' },
      theme: 'system',
      apiKeySet: false,
    });
    store.update({
      theme: 'dark',
      remote: { issuer: 'https://idp.example.com/', apiUrl: 'https://api.example.com' },
    });
    const again = new SettingsStore(dir, new MemorySecretStore());
    expect(again.get().theme).toBe('dark');
    expect(again.get().remote).toEqual({
      issuer: 'https://idp.example.com',
      apiUrl: 'https://api.example.com',
    });
  });

  it('never writes the API key into settings.json; it stays in the secret store', () => {
    const dir = fresh();
    const secrets = new MemorySecretStore();
    const store = new SettingsStore(dir, secrets);
    const s = store.update({ model: { provider: 'openai' }, apiKey: 'sk-test-very-secret' }).after;
    expect(s.model.provider).toBe('openai');
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('sk-test-very-secret');
    expect(store.get().apiKeySet).toBe(true);
    expect(store.get()).not.toHaveProperty('apiKey');
    expect(secrets.get()).toBe('sk-test-very-secret');
    store.update({ model: { provider: 'offline' }, apiKey: null });
    expect(store.get().apiKeySet).toBe(false);
  });

  it('refuses a bad update with a message naming the field, and writes nothing', () => {
    const dir = fresh();
    const store = new SettingsStore(dir, new MemorySecretStore());
    store.update({ theme: 'light' });
    const before = readFileSync(store.file, 'utf8');
    expect(() => store.update({ remote: { issuer: 'ftp://x' } })).toThrow(
      /remote\.issuer: must be an http\(s\) URL/,
    );
    expect(() => store.update({ mode: 'remote' })).toThrow(
      /remote mode needs both remote\.issuer and remote\.apiUrl/,
    );
    expect(() => store.update({ model: { provider: 'openai' } })).toThrow(/needs an API key/);
    expect(() => store.update({ mode: 'cloud' } as never)).toThrow(/mode/);
    expect(() => store.update({ colour: 'red' } as never)).toThrow(/Unrecognized key/);
    expect(readFileSync(store.file, 'utf8')).toBe(before);
    expect(store.get().mode).toBe('local');
  });

  it('says what is wrong with a corrupt or invalid settings.json instead of overwriting it', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'settings.json'), '{ not json');
    expect(() => new SettingsStore(dir, new MemorySecretStore())).toThrow(SettingsProblem);
    expect(() => new SettingsStore(dir, new MemorySecretStore())).toThrow(/not valid JSON/);
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ mode: 'cloud' }));
    expect(() => new SettingsStore(dir, new MemorySecretStore())).toThrow(/mode: Invalid enum value/);
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(JSON.stringify({ mode: 'cloud' }));
  });
});

describe('data dir and secrets.json', () => {
  it('creates the API client secret once, mode 0600, and keeps it', () => {
    const dir = fresh();
    const a = loadOrCreateSecrets(dir);
    expect(a.apiClientSecret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(dir).apiClientSecret).toBe(a.apiClientSecret);
  });

  it('refuses a corrupt secrets.json and a data dir that is a file', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'secrets.json'), '{"apiClientSecret":"short"}');
    expect(() => loadOrCreateSecrets(dir)).toThrow(/missing apiClientSecret/);
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(() => prepareDataDir(join(dir, 'a-file'))).toThrow(DataDirProblem);
    expect(() => prepareDataDir(join(dir, 'a-file'))).toThrow(/not a directory/);
    mkdirSync(join(dir, 'ro'), { mode: 0o500 });
    if (process.getuid?.() !== 0)
      expect(() => prepareDataDir(join(dir, 'ro', 'sub'))).toThrow(/cannot be created or written/);
    expect(prepareDataDir(join(dir, 'new', 'nested'))).toBe(join(dir, 'new', 'nested'));
  });
});
