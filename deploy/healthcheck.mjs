#!/usr/bin/env node
/**
 * A container's health check (Dockerfile HEALTHCHECK, compose.yaml, ECS task definitions):
 * `node deploy/healthcheck.mjs /healthz` asks this container's own service at 127.0.0.1:$PORT and exits
 * 0 on a 2xx answer within 2 s, else 1 with one line saying what it got. Node, not curl or wget: the slim
 * runtime image has neither, and every service image has node.
 */
/* global fetch, AbortSignal */
const path = process.argv[2] ?? '/healthz';
const port = process.env.PORT;
if (!/^\d+$/.test(port ?? '')) {
  process.stderr.write(`healthcheck: PORT must be the service's port (got ${JSON.stringify(port)})\n`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  if (!res.ok) {
    process.stderr.write(`healthcheck: GET ${path} answered HTTP ${res.status}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`healthcheck: GET ${path} failed (${err.cause?.code ?? err.message})\n`);
  process.exit(1);
}
