/**
 * Settings in DATA_DIR/settings.json, validated with the contract's zod schemas (contracts/src/settings.ts)
 * and written atomically. The model API key
 * never goes into that file: it lives in a SecretStore — Electron's safeStorage (the OS keychain)
 * under Electron, and in `npm run stack` only in memory for the run (seeded from OPENAI_API_KEY in the
 * environment), because plain Node has no keychain and a plain-text key on disk is what we promise
 * not to keep.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  SettingsUpdateSchema,
  StoredSettingsSchema,
  type Settings,
  type SettingsUpdate,
  type StoredSettings,
} from '@msi/contracts/settings';
import { writeFileAtomic } from './files.js';

/** Where the API key is kept. */
export interface SecretStore {
  /** Says where, for the person (e.g. "the OS keychain via Electron safeStorage"). */
  readonly description: string;
  get(): string | undefined;
  set(value: string | null): void;
}

export class MemorySecretStore implements SecretStore {
  readonly description =
    'in memory for this run only (plain Node has no keychain; set OPENAI_API_KEY to provide it at start)';
  constructor(private value?: string) {}
  get() {
    return this.value;
  }
  set(value: string | null) {
    this.value = value ?? undefined;
  }
}

export class SettingsProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsProblem';
  }
}

function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ');
}

export class SettingsStore {
  readonly file: string;
  private current: StoredSettings;

  /** Reads the file (defaults when there is none); a corrupt or invalid file throws SettingsProblem. */
  constructor(
    dataDir: string,
    readonly secrets: SecretStore,
  ) {
    this.file = join(dataDir, 'settings.json');
    this.current = this.read();
  }

  get stored(): StoredSettings {
    return structuredClone(this.current);
  }

  get(): Settings {
    const s = this.current;
    return {
      mode: s.mode,
      remote: { ...s.remote },
      model: { ...s.model },
      theme: s.theme,
      apiKeySet: !!this.secrets.get(),
    };
  }

  apiKey(): string | undefined {
    return this.secrets.get();
  }

  /** Validates the whole change first; then stores the key and writes the file. Returns old and new. */
  update(update: SettingsUpdate): { before: StoredSettings; after: StoredSettings } {
    const parsed = SettingsUpdateSchema.safeParse(update ?? {});
    if (!parsed.success) throw new SettingsProblem(`invalid settings: ${describe(parsed.error)}`);
    const u = parsed.data;
    const before = this.stored;
    const after: StoredSettings = {
      mode: u.mode ?? before.mode,
      remote: { ...before.remote, ...strip(u.remote) },
      model: { ...before.model, ...strip(u.model) },
      theme: u.theme ?? before.theme,
    };
    if (after.mode === 'remote' && (!after.remote.issuer || !after.remote.apiUrl)) {
      throw new SettingsProblem('invalid settings: remote mode needs both remote.issuer and remote.apiUrl');
    }
    const keyAfter = u.apiKey === undefined ? this.secrets.get() : (u.apiKey ?? undefined);
    if (after.model.provider === 'openai' && !keyAfter) {
      throw new SettingsProblem(
        'invalid settings: the openai provider needs an API key (for a local server that needs none, enter any text)',
      );
    }
    if (u.apiKey !== undefined) this.secrets.set(u.apiKey);
    writeFileAtomic(this.file, JSON.stringify(after, null, 2) + '\n');
    this.current = after;
    return { before, after: this.stored };
  }

  private read(): StoredSettings {
    if (!existsSync(this.file)) return StoredSettingsSchema.parse({});
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw new SettingsProblem(
        `${this.file} is not valid JSON (${(err as Error).message}); fix it or delete it to get the defaults`,
      );
    }
    const parsed = StoredSettingsSchema.safeParse(raw);
    if (!parsed.success) {
      throw new SettingsProblem(
        `${this.file} is not valid: ${describe(parsed.error)}; fix it or delete it to get the defaults`,
      );
    }
    return parsed.data;
  }
}

function strip<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
