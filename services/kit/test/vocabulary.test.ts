import { describe, expect, it } from 'vitest';
import { prng } from '../src/prng.js';
import { MEMBER_PERMISSIONS, sqlCheckIn } from '../src/vocabulary.js';

describe('vocabulary', () => {
  it('builds SQLite CHECK constraints from the lists, and refuses anything that is not a plain word', () => {
    expect(sqlCheckIn('tier', ['essentials', 'enterprise'])).toBe(
      "CHECK (tier IN ('essentials', 'enterprise'))",
    );
    expect(sqlCheckIn('permission', MEMBER_PERMISSIONS)).toContain("'manage_agency_users'");
    expect(() => sqlCheckIn('x', ["a'); DROP TABLE t; --"])).toThrow(/cannot go in SQL/);
  });
});

describe('prng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = prng(7);
    const b = prng(7);
    const seq = Array.from({ length: 5 }, () => a.int(0, 1000));
    expect(Array.from({ length: 5 }, () => b.int(0, 1000))).toEqual(seq);
    const c = prng(8);
    expect(Array.from({ length: 5 }, () => c.int(0, 1000))).not.toEqual(seq);
  });
});
