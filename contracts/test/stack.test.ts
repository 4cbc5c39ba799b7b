import { describe, expect, it } from 'vitest';
import { StackFileSchema } from '../src/stack.js';

const file = {
  services: {
    idp: { url: 'http://127.0.0.1:9400', pid: 101, state: 'ready' },
    api: { pid: null, state: 'starting' },
  },
  renderer: { url: 'http://127.0.0.1:4200' },
  mode: 'local',
  updatedAt: '2026-12-01T20:00:00.000Z',
};

describe('stack.json', () => {
  it('accepts the shape the stack writes', () => {
    expect(StackFileSchema.parse(file)).toEqual(file);
    expect(StackFileSchema.parse({ ...file, services: {}, mode: 'remote' }).services).toEqual({});
  });

  it('refuses any other shape, naming the field', () => {
    const problems = (raw: unknown) => {
      const r = StackFileSchema.safeParse(raw);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(problems({ ...file, services: [{ name: 'idp', state: 'ready' }] })).toEqual(['services']);
    expect(problems({ ...file, rendererUrl: 'http://127.0.0.1:4200', renderer: undefined })).toEqual(
      expect.arrayContaining(['renderer']),
    );
    expect(problems({ ...file, services: { web: { pid: 1, state: 'ready' } } })).toEqual(['services.web']);
    expect(problems({ ...file, services: { api: { pid: 1, state: 'up' } } })).toEqual(['services.api.state']);
  });
});
