/** `npm run stack` refusing bad input with one clear line, before anything starts. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freshDirs } from '../../../test/support/fresh-dirs.js';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../test/support/services.js';

const fresh = freshDirs('msi-cli-');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'main/dist/node/stack-cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('stack command: bad input', () => {
  it('names a bad flag or value', () => {
    const dir = fresh();
    const mode = run('--data-dir', dir, '--mode', 'cloud');
    expect(mode.status).toBe(64);
    expect(mode.stderr).toMatch(/--mode must be local or remote \(got cloud\)/);
    const unknown = run('--data-dir', dir, '--colour');
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toMatch(/Unknown option '--colour'/);
    expect(run('--port', '70000').stderr).toMatch(/--port must be a port number/);
    expect(existsSync(join(dir, 'stack.json'))).toBe(false);
  });

  it('refuses remote mode without its URLs, a corrupt settings file, and a data dir that is a file', () => {
    const dir = fresh();
    const remote = run('--data-dir', dir, '--mode', 'remote');
    expect(remote.status).toBe(78);
    expect(remote.stderr).toMatch(/remote mode needs both remote\.issuer and remote\.apiUrl/);
    writeFileSync(join(dir, 'settings.json'), '{"mode": ');
    const corrupt = run('--data-dir', dir);
    expect(corrupt.status).toBe(78);
    expect(corrupt.stderr).toMatch(/settings\.json is not valid JSON .*fix it or delete it/);
    writeFileSync(join(dir, 'file'), '');
    const notDir = run('--data-dir', join(dir, 'file'));
    expect(notDir.status).toBe(74);
    expect(notDir.stderr).toMatch(/exists but is not a directory/);
  });

  it('says when the host port it was given is taken', async () => {
    const dir = fresh();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = run('--data-dir', dir, '--port', String(port));
      expect(res.status).toBe(98);
      expect(res.stderr).toMatch(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use; choose another with --port`),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('stack command: long steps say what they do', () => {
  it('on a first start: says the browser could not be opened without a display, and how far ingestion is', async () => {
    const dir = fresh();
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.OPENAI_API_KEY;
    const proc = spawn(
      process.execPath,
      [join(ROOT, 'main/dist/node/stack-cli.js'), '--data-dir', dir, '--open'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      const deadline = Date.now() + 200_000;
      while (
        !/documentation ingested: \d+ documents ready/.test(out) &&
        Date.now() < deadline &&
        proc.exitCode === null
      )
        await new Promise((r) => setTimeout(r, 200));
      const url = /MSI Assistant \(local mode\): (\S+)/.exec(out)?.[1];
      expect(url, out).toBeTruthy();
      expect(out).toContain(
        `stack: no browser could be opened (there is no display (DISPLAY and WAYLAND_DISPLAY are unset)); open the URL above: ${url}`,
      );
      expect(out).toMatch(/stack: documentation ingested: [1-9]\d* documents ready in \d+ s/);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  }, 240_000);
});
