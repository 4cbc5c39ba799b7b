import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** A child that keeps a server open and logs through a logger whose writes throw (stdout gone). */
const child = `
  import { createServer } from 'node:http';
  import { installLifecycle, onShutdown } from '@msi/kit';
  const broken = { info() { throw new Error('EPIPE'); }, error() { throw new Error('EPIPE'); }, warn() {} };
  installLifecycle(broken);
  const srv = createServer().listen(0, '127.0.0.1', () => process.send?.('up') ?? console.log('up'));
  onShutdown(() => new Promise((r) => srv.close(r)));
`;

function run(): Promise<{ code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let t0 = 0;
    p.stdout.once('data', () => {
      t0 = Date.now();
      p.kill('SIGTERM');
    });
    p.once('error', reject);
    p.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
}

describe('lifecycle', () => {
  it('exits on SIGTERM even when the log cannot be written', async () => {
    const { code, ms } = await run();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(4000);
  });
});
