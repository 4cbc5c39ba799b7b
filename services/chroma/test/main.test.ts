import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startChroma, type RunningChroma } from '../../../test/support/chroma.js';
import { ROOT, tempDataDir } from '../../../test/support/services.js';
import { chromaArgs, chromaConfig } from '../src/config.js';

describe('chroma configuration', () => {
  it('takes the same variables as the other services, with its directory in the data dir', () => {
    const cfg = chromaConfig({ PORT: '8123', MSI_DATA_DIR: '/d' });
    expect(cfg).toEqual({ host: '127.0.0.1', port: 8123, path: '/d/chroma' });
    expect(chromaArgs(cfg)).toEqual(['run', '--path', '/d/chroma', '--host', '127.0.0.1', '--port', '8123']);
    expect(chromaConfig({ CHROMA_PATH: '/v' }).path).toBe('/v');
  });

  it('stops with one line naming a malformed variable (exit 78)', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'services', 'chroma')], {
      env: { PATH: process.env.PATH, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(res.status).toBe(78);
    expect(res.stderr.trim()).toBe('chroma: config: PORT must be a port number 0-65535 (got "eighty")');
  });
});

describe('node services/chroma', () => {
  let chroma: RunningChroma | undefined;
  const data = tempDataDir();
  afterEach(async () => {
    await chroma?.stop();
    data.cleanup();
  });

  it('serves the heartbeat and keeps its data where it was told', async () => {
    const dir = join(data.dir, 'vectors');
    chroma = await startChroma({ dataDir: dir, timeoutMs: 60_000 });
    const res = await fetch(`${chroma.url}/api/v2/heartbeat`);
    expect(res.ok).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });
});
