/**
 * W3C Trace Context for the renderer's requests (docs/tracing.md): each user action is a trace of its
 * own, and each request it makes a span of that trace. The API continues it to the MCP servers and the
 * model, so one action can be followed through every service's spans and log lines.
 */

const hex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** A new trace id: 32 lowercase hex digits (never all zeros, which the spec forbids). */
export function newTraceId(): string {
  const id = hex(16);
  return /^0+$/.test(id) ? newTraceId() : id;
}

/** The `traceparent` of one request of trace `traceId` (a new trace without one), sampled. */
export function traceparent(traceId: string = newTraceId()): string {
  let span = hex(8);
  while (/^0+$/.test(span)) span = hex(8);
  return `00-${traceId}-${span}-01`;
}
