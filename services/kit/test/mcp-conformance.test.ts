/**
 * The official MCP conformance suite against both MCP servers, as a real signed-in administrator (a
 * bearer-adding proxy in front of each: test/support/conformance.ts). The protocol scenarios must pass.
 * The rest test the suite's own fixtures (its `test_simple_prompt`, `test://static-text`, image and audio
 * tools, …) or capabilities a ticketing server has no use for (sampling, elicitation, logging, completion,
 * subscriptions, progress): each is listed with why, so a change in either direction shows here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/index.js';
import { bearerShim, runConformance, type BearerShim } from '../../../test/support/conformance.js';
import { resourceToken, startIdp, type RunningIdp } from '../../../test/support/idp.js';
import { startService, tempDataDir, type RunningService } from '../../../test/support/services.js';

const MUST_PASS = [
  'server-initialize',
  'ping',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-error',
  'resources-list',
  'prompts-list',
  'dns-rebinding-protection',
];

/** Scenarios that need the suite's fixtures or a capability these servers do not offer. */
const NOT_APPLICABLE: Record<string, string> = {
  'completion-complete': 'no completion capability',
  'logging-set-level': 'no logging capability',
  'tools-call-with-logging': 'no logging capability',
  'tools-call-with-progress': 'no tool reports progress (each is a single database transaction)',
  'tools-call-sampling': 'the servers never ask the client for a model',
  'tools-call-elicitation': 'the servers never ask the person for input (the API asks for approval)',
  'elicitation-sep1034-defaults': 'no elicitation',
  'elicitation-sep1330-enums': 'no elicitation',
  'tools-call-image': "the suite's image fixture tool",
  'tools-call-audio': "the suite's audio fixture tool",
  'tools-call-embedded-resource': "the suite's embedded-resource fixture tool",
  'tools-call-mixed-content': "the suite's mixed-content fixture tool",
  'resources-read-text': "the suite's test://static-text fixture",
  'resources-read-binary': "the suite's test://static-binary fixture",
  'resources-templates-read': "the suite's test://template fixture",
  'resources-subscribe': 'no subscriptions (stateless servers: no session to notify)',
  'resources-unsubscribe': 'no subscriptions',
  'prompts-get-simple': "the suite's test_simple_prompt fixture",
  'prompts-get-with-args': "the suite's test_prompt_with_arguments fixture",
  'prompts-get-embedded-resource': "the suite's prompt fixtures",
  'prompts-get-with-image': "the suite's prompt fixtures",
  'server-sse-polling': 'stateless JSON responses, no SSE streams',
  'server-sse-multiple-streams': 'stateless JSON responses, no SSE streams',
};

const stops: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s.stop();
});

describe.each(['ticketing', 'organizations'] as const)('MCP conformance suite against %s', (name) => {
  it('passes every protocol scenario; the others are the fixtures and capabilities listed', async () => {
    const [port, shimPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const idp: RunningIdp = await startIdp({ audiences: { [name]: url } });
    stops.push(idp);
    const data = tempDataDir('msi-conformance-');
    stops.push({ stop: async () => data.cleanup() });
    const server: RunningService = await startService(
      name,
      {
        MSI_DATA_DIR: data.dir,
        IDP_ISSUER: idp.issuer,
        ALLOWED_HOSTS: `127.0.0.1:${shimPort},localhost:${shimPort}`,
      },
      { port, timeoutMs: 120_000 },
    );
    stops.push(server);
    const token = await resourceToken(idp.issuer, 'admin', url);
    const shim: BearerShim = await bearerShim(url, () => token, shimPort);
    stops.push({ stop: () => shim.close() });

    const results = await runConformance(`${shim.url}/mcp`);
    const passedAll = results.filter((r) => r.failed === 0 && r.passed > 0).map((r) => r.scenario);
    const checks = results.reduce((n, r) => n + r.passed, 0);
    const failedChecks = results.reduce((n, r) => n + r.failed, 0);
    console.log(
      `${name}: ${passedAll.length} of ${results.length} scenarios passed (${checks} checks passed, ${failedChecks} failed); not applicable: ${results.length - passedAll.length}`,
    );
    for (const scenario of MUST_PASS) {
      const r = results.find((x) => x.scenario === scenario);
      expect(r, `scenario ${scenario} ran`).toBeDefined();
      expect(r!.failures, scenario).toEqual([]);
      expect(r!.passed, scenario).toBeGreaterThan(0);
    }
    for (const r of results) {
      if (MUST_PASS.includes(r.scenario)) continue;
      expect(
        NOT_APPLICABLE[r.scenario],
        `${r.scenario} is new in the suite: decide whether it applies`,
      ).toBeDefined();
    }
  }, 300_000);
});
