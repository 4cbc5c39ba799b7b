import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
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
  it('says a taken port in one line and exits 98 (the supervisor then picks another)', async () => {
    const { createServer } = await import('node:net');
    const thief = createServer();
    await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
    const port = (thief.address() as { port: number }).port;
    const res = spawnSync(process.execPath, [join(ROOT, 'services', 'chroma')], {
      env: { PATH: process.env.PATH, PORT: String(port), CHROMA_PATH: join(data.dir, 'unused') },
      encoding: 'utf8',
    });
    await new Promise((r) => thief.close(r));
    expect(res.status).toBe(98);
    expect(res.stderr.trim()).toBe(`chroma: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
  });

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

describe('node services/chroma with CHROMA_TOKEN', () => {
  let gated: RunningChroma | undefined;
  const dir = tempDataDir('msi-chroma-token-');
  afterEach(async () => {
    await gated?.stop();
    gated = undefined;
  });
  afterAll(() => dir.cleanup());

  it('answers only requests that carry its token; health probes need none', async () => {
    gated = await startChroma({ dataDir: join(dir.dir, 'vectors'), token: 'the-chroma-token' });
    const collections = `${gated.url}/api/v2/tenants/default_tenant/databases/default_database/collections`;
    expect((await fetch(`${gated.url}/api/v2/heartbeat`)).status).toBe(200);

    const none = await fetch(collections);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: 'unauthorized',
      message: 'Chroma needs its token (X-Chroma-Token or Authorization: Bearer)',
    });
    const wrong = await fetch(collections, { headers: { 'x-chroma-token': 'guess' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('the Chroma token is wrong');
    const created = await fetch(collections, {
      method: 'POST',
      headers: { 'x-chroma-token': 'the-chroma-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gated' }),
    });
    expect(created.status).toBe(200);
    const listed = await fetch(collections, { headers: { authorization: 'Bearer the-chroma-token' } });
    expect(((await listed.json()) as { name: string }[]).map((c) => c.name)).toEqual(['gated']);
    // The client library the API uses, with the header it sends.
    const { ChromaClient } = await import('chromadb');
    const client = new ChromaClient({
      host: '127.0.0.1',
      port: gated.port,
      headers: { 'x-chroma-token': 'the-chroma-token' },
    });
    expect((await client.listCollections()).map((c) => c.name)).toEqual(['gated']);
    const anonymous = new ChromaClient({ host: '127.0.0.1', port: gated.port });
    await expect(anonymous.listCollections()).rejects.toThrow();
  });
});
