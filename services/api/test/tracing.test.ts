/**
 * One trace across the API and an MCP server (docs/tracing.md): the real IDP, MCP servers and API as
 * processes exporting OTLP/HTTP (JSON) to an in-process receiver, the model scripted. A turn sent with a
 * renderer's `traceparent` comes back as one trace: the API's request, turn, model call, tool call and
 * MCP request, then the ticketing server's request, tool call and database queries, each with the parent
 * it should have; the model provider got the traceparent too, and the ids are in the services' log lines.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendMessage } from '../../../test/support/api-client.js';
import { startBackend, type Backend } from '../../../test/support/backend.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../test/support/otlp-receiver.js';
import { startScriptedModel, type ScriptedModel } from '../../../test/support/scripted-model.js';

let stack: Backend;
let model: ScriptedModel;
let otlp: OtlpReceiver;
let token: string;

beforeAll(async () => {
  otlp = await startOtlpReceiver();
  model = await startScriptedModel();
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Export within a fraction of a second rather than the default 5 s batches.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'debug',
  };
  stack = await startBackend({
    apiEnv: {
      ...tracing,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_MODEL: 'scripted-1',
      EMBEDDING_PROVIDER: 'offline',
    },
    mcpEnv: tracing,
  });
  token = await stack.login('james_smith');
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await model?.close();
  await otlp?.close();
});

const one = (spans: ReceivedSpan[], service: string, name: string, parent?: ReceivedSpan) => {
  const found = spans.filter(
    (s) => s.service === service && s.name === name && (!parent || s.parentSpanId === parent.spanId),
  );
  expect(
    found,
    `${service} span "${name}"${parent ? ` under "${parent.name}"` : ''} among ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
  ).toHaveLength(1);
  return found[0]!;
};

describe('traces', () => {
  it('follows one turn with a tool call from the renderer through the API to the MCP server and its database', async () => {
    model.setScript((_req, i) =>
      i === 0
        ? { toolCalls: [{ name: 'search_tickets', arguments: { reporter: 'me' } }] }
        : { text: 'You have some tickets.' },
    );
    const conv = await call<{ id: string }>(stack.api.url, token, 'POST', '/api/conversations', {});
    // What the renderer sends for one user action.
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const turn = await sendMessage(stack.api.url, token, conv.body.id, 'What are my tickets?', undefined, {
      traceparent: `00-${traceId}-${clientSpan}-01`,
    });
    expect(turn.text).toBe('You have some tickets.');

    const spans = (
      await otlp.waitFor((all) => {
        const ours = all.filter((s) => s.traceId === traceId);
        return (
          ours.some((s) => s.service === 'msi-api' && s.name === 'turn') &&
          ours.some((s) => s.service === 'msi-ticketing' && s.name === 'tools/call search_tickets')
        );
      })
    ).filter((s) => s.traceId === traceId);

    // The API: its request continues the renderer's span; the turn, model steps and tool call below it.
    const request = one(spans, 'msi-api', 'POST /api/conversations/:id/messages');
    expect(request.parentSpanId).toBe(clientSpan);
    expect(request.kind).toBe(2);
    expect(request.attributes['msi.request_id']).toMatch(/^[0-9a-f-]{36}$/);
    const turnSpan = one(spans, 'msi-api', 'turn', request);
    expect(turnSpan.attributes['msi.turn.status']).toBe('complete');
    const chats = spans.filter((s) => s.name === 'chat scripted-1');
    expect(chats).toHaveLength(2);
    for (const c of chats) expect(c.parentSpanId).toBe(turnSpan.spanId);
    const tool = one(spans, 'msi-api', 'execute_tool search_tickets', turnSpan);
    const mcpCall = one(spans, 'msi-api', 'tools/call search_tickets', tool);
    expect(mcpCall.kind).toBe(3);

    // The MCP server: its request is a child of the API's MCP call; the tool and its queries below it.
    const mcpRequest = one(spans, 'msi-ticketing', 'POST /mcp', mcpCall);
    expect(mcpRequest.attributes['msi.request_id']).toBe(request.attributes['msi.request_id']);
    const served = one(spans, 'msi-ticketing', 'tools/call search_tickets', mcpRequest);
    const queries = spans.filter((s) => s.service === 'msi-ticketing' && s.parentSpanId === served.spanId);
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(q.name).toMatch(/^SELECT \w+/);
      expect(q.attributes['db.system.name']).toBe('sqlite');
      expect(String(q.attributes['db.query.text'])).toMatch(/^select /i);
    }
    // Everything of the turn is in this one trace, and nothing failed.
    expect(spans.every((s) => s.status !== 2)).toBe(true);

    // The model provider got the trace too, each step with its own span as the parent.
    const sent = model.traceparents.map((t) => t?.split('-'));
    expect(sent.map((t) => t?.[1])).toEqual([traceId, traceId]);
    expect(sent.map((t) => t?.[2]).sort()).toEqual(chats.map((c) => c.spanId).sort());

    // And the log lines of both services name the trace (the API's request log, the MCP server's too).
    const lines = (out: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await expect
      .poll(() => lines(stack.ticketing.output()).filter((l) => l.trace_id === traceId).length)
      .toBeGreaterThan(0);
    const apiLines = lines(stack.api.output()).filter((l) => l.trace_id === traceId);
    expect(apiLines.length).toBeGreaterThan(0);
    for (const l of apiLines) expect(l.request_id).toBe(request.attributes['msi.request_id']);
  });
});
