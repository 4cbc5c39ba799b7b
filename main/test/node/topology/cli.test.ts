/** `npm run topology` refusing what it cannot do with one clear line and its exit code, before starting services. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDirs } from '../../../../test/support/fresh-dirs.js';
import { ROOT } from '../../../../test/support/services.js';
import { freePortRun } from '../../../src/node/topology/infra.js';

const fresh = freshDirs('msi-topology-cli-');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'main/dist/node/topology/cli.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
const errorLines = (stderr: string) => stderr.trim().split('\n').filter(Boolean);

let busy: Server | undefined;
afterEach(() => void busy?.close());

describe('topology command: what it cannot do, in one line', () => {
  it('names a bad flag or value', () => {
    expect(run('--port', '70000').stderr).toMatch(/--port must be a port number 1-65531/);
    expect(run('--db-prefix', 'Bad-Name').stderr).toMatch(/--db-prefix must be lower-case/);
    const unknown = run('--colour');
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toMatch(/Unknown option '--colour'/);
  });

  it('says which of its ports is in use (exit 98)', async () => {
    const base = await freePortRun(5);
    busy = createServer();
    await new Promise<void>((r) => busy!.listen(base + 2, '127.0.0.1', r));
    const r = run('--port', String(base), '--data-dir', fresh());
    expect(r.status).toBe(98);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^topology: port ${base + 2} on 127\\.0\\.0\\.1 is already in use.*--port$`),
      ),
    ]);
  });

  it('says an nginx of an earlier run in the data dir still runs, and how to stop it (exit 98)', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'nginx'), { recursive: true });
    // A stand-in for the leftover master: a process whose command line names the data dir's nginx prefix.
    const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', join(dir, 'nginx')], {
      stdio: 'ignore',
    });
    try {
      writeFileSync(join(dir, 'nginx', 'nginx.pid'), `${leftover.pid}\n`);
      const r = run('--port', String(await freePortRun(5)), '--data-dir', dir);
      expect(r.status).toBe(98);
      expect(errorLines(r.stderr)).toEqual([
        `topology: an nginx of an earlier topology in ${dir} still runs (pid ${leftover.pid}); stop it with: kill -QUIT ${leftover.pid}`,
      ]);
    } finally {
      leftover.kill('SIGKILL');
    }
  });

  it('says PostgreSQL is not reachable (exit 69), its password masked', async () => {
    const r = run(
      '--port',
      String(await freePortRun(5)),
      '--data-dir',
      fresh(),
      '--database-url',
      'postgres://root:hunter2@127.0.0.1:1',
    );
    expect(r.status).toBe(69);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^topology: PostgreSQL at postgres:\/\/root:\*\*\*@127\.0\.0\.1:1 is not reachable/,
    );
    expect(r.stderr).not.toContain('hunter2');
  });
});
