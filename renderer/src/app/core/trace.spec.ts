import { newTraceId, traceparent } from './trace';

describe('traceparent', () => {
  it('is a W3C version-00 header of a new trace, sampled', () => {
    const value = traceparent();
    expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparent()).not.toBe(value);
  });

  it('keeps the trace of one action across its requests, each with a span of its own', () => {
    const trace = newTraceId();
    const [a, b] = [traceparent(trace), traceparent(trace)];
    expect(a.split('-')[1]).toBe(trace);
    expect(b.split('-')[1]).toBe(trace);
    expect(a.split('-')[2]).not.toBe(b.split('-')[2]);
  });
});
