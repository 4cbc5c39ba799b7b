/**
 * docs/logging.md against what a real service writes: the ticketing server started as a process, asked
 * a few requests with and without a traceparent and a request id, its stdout read line by line. Every
 * field the page lists for every line is on every line, with its type; a request's lines carry the
 * trace and request ids it came with; the request and listening lines have exactly the documented
 * fields. The shipping samples rename every documented field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startService, tempDataDir, type RunningService } from '../../../test/support/services.js';

const doc = readFileSync(join(ROOT, 'docs/logging.md'), 'utf8');

/** The rows of the table under `heading`: field name → its other cells. */
function table(heading: string): Map<string, string[]> {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`docs/logging.md has no section "${heading}"`);
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^`/.test(cells[1] ?? '')) continue;
    rows.set(cells[1]!.replace(/`/g, ''), cells.slice(2, -1));
  }
  return rows;
}
/** The rows of "Fields of particular lines": line (msg) → its fields. */
function particular(): Map<string, Set<string>> {
  const section = doc.split(/^## /m).find((s) => s.startsWith('Fields of particular lines'))!;
  const out = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`/.exec(line);
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, new Set());
    out.get(m[1]!)!.add(m[2]!);
  }
  return out;
}

const every = table('Fields on every line');
const ofRequest = table('Fields of a line written for a request');
const lines = particular();

let svc: RunningService;
let dir: ReturnType<typeof tempDataDir>;
beforeAll(async () => {
  dir = tempDataDir('msi-log-fields-');
  // No request reaches the issuer: the requests below are answered before a token would be checked.
  svc = await startService('ticketing', {
    MSI_DATA_DIR: dir.dir,
    IDP_ISSUER: 'http://127.0.0.1:9',
    LOG_LEVEL: 'debug',
  });
});
afterAll(async () => {
  await svc?.stop();
  dir?.cleanup();
});

const written = () =>
  svc
    .output()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('docs/logging.md', () => {
  it('lists the fields a real service writes, on every line and on a request’s lines', async () => {
    expect([...every.keys()]).toEqual(['level', 'time', 'service', 'name', 'pid', 'msg']);
    expect([...ofRequest.keys()]).toEqual(['trace_id', 'span_id', 'request_id']);

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const traced = await fetch(`${svc.url}/mcp`, {
      method: 'POST',
      headers: {
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        'x-request-id': 'support-case-4711',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(traced.status).toBe(401);
    expect(traced.headers.get('x-request-id')).toBe('support-case-4711');
    // No traceparent, and a request id a log line must not take (a newline in it): both made here.
    const plain = await fetch(`${svc.url}/no-such-page`, { headers: { 'x-request-id': 'a b' } });
    expect(plain.status).toBe(404);
    const madeId = plain.headers.get('x-request-id')!;
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);

    await expect.poll(() => written().filter((l) => l.msg === 'request').length).toBe(2);
    const all = written();
    expect(all.length).toBeGreaterThan(3);

    // Every line: the documented fields, with their documented types.
    for (const l of all) {
      for (const [field, [type]] of every)
        expect(typeof l[field], `${field} in ${JSON.stringify(l)}`).toBe(type);
      expect([10, 20, 30, 40, 50, 60]).toContain(l.level);
      expect(new Date(l.time as string).toISOString()).toBe(l.time);
      expect(l.service).toBe('ticketing');
      expect(l.name).toBe(l.service);
    }

    // A request's lines: the ids it came with (or made for it), and a span of its own.
    const requests = all.filter((l) => l.msg === 'request');
    const [first, second] = [
      requests.find((l) => l.url === '/mcp')!,
      requests.find((l) => l.url === '/no-such-page')!,
    ];
    expect(first).toMatchObject({ trace_id: traceId, request_id: 'support-case-4711', status: 401 });
    expect(second).toMatchObject({ request_id: madeId, status: 404 });
    for (const l of [first, second]) {
      expect(l.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(l.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(l.span_id).not.toBe('b7ad6b7169203331');
      expect(Object.keys(l).sort()).toEqual(
        [...every.keys(), ...ofRequest.keys(), ...lines.get('request')!].sort(),
      );
    }
    expect(second.trace_id).not.toBe(traceId);

    // Start-up lines belong to no request; the listening line has exactly its documented fields.
    const listening = all.find((l) => l.msg === 'listening')!;
    expect(Object.keys(listening).sort()).toEqual([...every.keys(), ...lines.get('listening')!].sort());
    expect(listening.url).toBe(svc.url);
  });

  it('is what the shipping samples rename, field by field', () => {
    const filebeat = readFileSync(join(ROOT, 'deploy/logging/filebeat.yml'), 'utf8');
    const fluentd = readFileSync(join(ROOT, 'deploy/logging/fluentd.conf'), 'utf8');
    const ecs = new Map<string, string>();
    for (const [field, cells] of [...every, ...ofRequest]) ecs.set(field, cells.at(-1)!.replace(/`/g, ''));
    for (const [field, name] of ecs) {
      if (field === 'time') continue; // both read it as the event's timestamp
      if (field === 'level') {
        expect(filebeat).toContain("event.Put('log.level'");
        expect(fluentd).toMatch(/log\.level .*record\["level"\]/);
        continue;
      }
      expect(filebeat, `filebeat renames ${field}`).toContain(`{ from: msi.${field}, to: ${name} }`);
      expect(fluentd, `fluentd maps ${field}`).toContain(`${name} \${record["${field}"]}`);
    }
    expect(filebeat).toContain('field: msi.time');
    expect(fluentd).toContain('time_key time');
  });
});
