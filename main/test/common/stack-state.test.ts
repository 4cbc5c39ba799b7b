import { describe, expect, it } from 'vitest';
import type { ServiceStatus } from '../../src/common/host-api.js';
import { serviceLine, splashHtml, splashUpdate, stackSummary } from '../../src/common/stack-state.js';

const s = (over: Partial<ServiceStatus> & Pick<ServiceStatus, 'name' | 'state'>): ServiceStatus => ({
  restarts: 0,
  ...over,
});

describe('the stack state in words', () => {
  it('one line per service with its state, port, restarts or reason', () => {
    expect(serviceLine(s({ name: 'ticketing', state: 'ready', port: 9000 }))).toBe(
      '● Tickets — ready on :9000',
    );
    expect(serviceLine(s({ name: 'chroma', state: 'starting' }))).toBe('○ Vector store (Chroma) — starting');
    expect(serviceLine(s({ name: 'idp', state: 'ready', port: 9400, restarts: 2 }))).toBe(
      '● Sign-in (IDP) — ready on :9400 (restarted 2×)',
    );
    expect(
      serviceLine(s({ name: 'api', state: 'failed', restarts: 5, lastError: 'exited with code 74\nmore' })),
    ).toBe('✕ Assistant API — failed: exited with code 74');
  });

  it('a summary: progress, all ready, failures first, remote mode', () => {
    const ready = s({ name: 'idp', state: 'ready', port: 1 });
    expect(stackSummary([ready, s({ name: 'api', state: 'starting' })])).toBe('1 of 2 services ready');
    expect(stackSummary([ready, ready])).toBe('all 2 services ready');
    expect(stackSummary([ready, s({ name: 'api', state: 'failed' })])).toBe('1 service failed: api');
    expect(stackSummary([s({ name: 'api', state: 'stopped' })])).toBe('local services stopped');
    expect(stackSummary([])).toBe('no local services (remote mode)');
  });

  it('the splash lists each service, escaped', () => {
    expect(splashHtml()).toContain('id="services"');
    const js = splashUpdate([s({ name: 'api', state: 'failed', lastError: '<script>x</script>' })]);
    expect(js).toContain('Starting the local services: 1 service failed: api');
    expect(js).toContain('&#60;script&#62;');
    expect(js).not.toContain('<script>');
  });
});
