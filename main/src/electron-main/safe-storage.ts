/** The API key under Electron: encrypted with safeStorage (the OS keychain) in DATA_DIR/api-key.bin. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import { writeFileAtomic } from '../node/files.js';
import type { SecretStore } from '../node/settings.js';

export class SafeStorageSecretStore implements SecretStore {
  readonly description = 'encrypted with the OS keychain (Electron safeStorage)';
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'api-key.bin');
  }

  get(): string | undefined {
    if (!existsSync(this.file) || !safeStorage.isEncryptionAvailable()) return undefined;
    return safeStorage.decryptString(readFileSync(this.file));
  }

  set(value: string | null): void {
    if (value === null) {
      rmSync(this.file, { force: true });
      return;
    }
    if (!safeStorage.isEncryptionAvailable()) {
      throw new Error('the OS keychain is not available, so the API key cannot be stored safely');
    }
    writeFileAtomic(this.file, safeStorage.encryptString(value), 0o600);
  }
}
