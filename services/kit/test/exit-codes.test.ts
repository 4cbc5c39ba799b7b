import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT, exitMeaning, exitTable } from '../src/exit-codes.js';

const doc = readFileSync(new URL('../../../docs/exit-codes.md', import.meta.url), 'utf8');

describe('exit codes', () => {
  it('has one entry per code, and docs/exit-codes.md a row for each with its name', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(exitTable().map((m) => m.code)).toEqual(codes);
    for (const m of exitTable()) {
      expect(EXIT[m.name]).toBe(m.code);
      expect(doc).toMatch(new RegExp(`^\\| ${m.code} \\| \`${m.name}\` \\|`, 'm'));
    }
  });

  it('tells the supervisor which ends a restart cannot fix', () => {
    expect(exitMeaning(EXIT.config)).toMatchObject({ summary: 'configuration error', supervisor: 'give-up' });
    expect(exitMeaning(EXIT.dataUnusable)).toMatchObject({
      summary: 'data dir unusable',
      supervisor: 'give-up',
    });
    expect(exitMeaning(EXIT.portInUse)?.supervisor).toBe('new-port');
    expect(exitMeaning(EXIT.crash)?.supervisor).toBe('restart');
    expect(exitMeaning(137)).toBeUndefined();
    expect(exitMeaning(null)).toBeUndefined();
  });
});
