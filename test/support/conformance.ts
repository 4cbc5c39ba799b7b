/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance`, 0.1.13: the newest that runs on Node 20)
 * against one of our MCP servers. The suite connects without credentials, so a small proxy in front of
 * the server adds the bearer token of a real signed-in person; it passes the Host and Origin headers
 * through untouched (the suite's DNS-rebinding scenario sends foreign ones) and the server is told the
 * proxy's own address is an allowed host.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './services.js';

export interface BearerShim {
  url: string;
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 to `target` that adds `Authorization: Bearer <token()>`. */
export async function bearerShim(target: string, token: () => string, port = 0): Promise<BearerShim> {
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token()}` };
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface ScenarioResult {
  scenario: string;
  passed: number;
  failed: number;
  warnings: number;
  /** The failed checks' messages. */
  failures: string[];
}

/** Runs the suite's active server scenarios against `url` (…/mcp); one result per scenario. */
export async function runConformance(url: string, timeoutMs = 240_000): Promise<ScenarioResult[]> {
  const out = mkdtempSync(join(tmpdir(), 'msi-conformance-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        join(ROOT, 'node_modules', '.bin', 'conformance'),
        ['server', '--url', url, '--suite', 'active', '-o', out],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      // It exits 1 when any scenario fails: the results are what counts.
      child.on('exit', () => {
        clearTimeout(timer);
        if (readdirSync(out).length === 0)
          reject(new Error(`the conformance suite wrote no results:\n${log}`));
        else resolve();
      });
    });
    return readdirSync(out)
      .sort()
      .map((dir) => {
        const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as {
          status: string;
          name: string;
          errorMessage?: string;
        }[];
        const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
        return {
          scenario,
          passed: checks.filter((c) => c.status === 'SUCCESS').length,
          failed: checks.filter((c) => c.status === 'FAILURE').length,
          warnings: checks.filter((c) => c.status === 'WARNING').length,
          failures: checks
            .filter((c) => c.status === 'FAILURE')
            .map((c) => `${c.name}: ${c.errorMessage ?? ''}`),
        };
      });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
