import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../../../test/support/services.js';
import { ServiceLog } from '../../../src/node/supervisor/logs.js';

const dirs: (() => void)[] = [];
afterEach(() => dirs.splice(0).forEach((c) => c()));

describe('service log', () => {
  it('splits chunks into lines, keeps a bounded tail and writes the file', () => {
    const { dir, cleanup } = tempDataDir('msi-logs-');
    dirs.push(cleanup);
    const log = new ServiceLog('ticketing', dir, { tailLines: 3 });
    log.write('stdout', 'one\ntw');
    log.write('stdout', 'o\nthree\n');
    log.write('stderr', 'four\n');
    expect(log.lines().map((l) => `${l.stream}:${l.text}`)).toEqual([
      'stdout:two',
      'stdout:three',
      'stderr:four',
    ]);
    expect(log.lines(1)[0]).toMatchObject({ service: 'ticketing', text: 'four' });
    log.close();
    expect(readFileSync(join(dir, 'ticketing.log'), 'utf8')).toMatch(
      /stdout one\n.*stdout two\n.*stdout three\n.*stderr four\n$/,
    );
  });

  it('rotates by size and keeps a fixed number of files', () => {
    const { dir, cleanup } = tempDataDir('msi-logs-');
    dirs.push(cleanup);
    const log = new ServiceLog('api', dir, { maxBytes: 200, keepFiles: 2 });
    for (let i = 0; i < 40; i++) log.write('stdout', `line ${i} ${'x'.repeat(40)}\n`);
    log.close();
    expect(existsSync(join(dir, 'api.log.1'))).toBe(true);
    expect(existsSync(join(dir, 'api.log.2'))).toBe(true);
    expect(existsSync(join(dir, 'api.log.3'))).toBe(false);
    expect(readFileSync(join(dir, 'api.log'), 'utf8').length).toBeLessThanOrEqual(200);
    expect(readFileSync(join(dir, 'api.log'), 'utf8')).toContain('line 39');
  });
});
