/**
 * The running stack as the app itself reports it: `<data dir>/stack.json`, which the stack command (and the
 * Electron main process) keeps current with each service's URL, pid and state, and the renderer's URL.
 * Tests wait on this file — it is the app's own emitted state — never on fixed sleeps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@msi/contracts/endpoints';
import { STACK_FILE, StackFileSchema, type StackFile, type StackService } from '@msi/contracts/stack';

export { SERVICE_NAMES, type ServiceName };

export interface StackInfo {
  mode: StackFile['mode'];
  /** Where the renderer is served (the host). */
  rendererUrl: string;
  services: Partial<Record<ServiceName, StackService & { name: ServiceName }>>;
  /** The file as written, for diagnostics. */
  raw: StackFile;
}

/** The file's one shape (contracts/src/stack.ts); anything else is an error that says what is wrong. */
export function parseStack(raw: unknown): StackInfo {
  const parsed = StackFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`stack.json does not have the shape the stack writes: ${problems.join('; ')}`);
  }
  const file = parsed.data;
  const services: StackInfo['services'] = {};
  for (const name of SERVICE_NAMES) {
    const svc = file.services[name];
    if (svc) services[name] = { name, ...svc };
  }
  return { mode: file.mode, rendererUrl: file.renderer.url, services, raw: file };
}

export const stackFile = (dataDir: string) => join(dataDir, STACK_FILE);

/** The current stack.json, or undefined while it does not exist yet (it is written atomically). */
export function readStack(dataDir: string): StackInfo | undefined {
  let text: string;
  try {
    text = readFileSync(stackFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${stackFile(dataDir)} is not JSON: ${(err as Error).message}`);
  }
  return parseStack(raw);
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls stack.json until `ready(stack)` holds. Throws with the last content seen after `timeoutMs`, or
 * at once when `failed()` returns a reason (e.g. the stack process exited).
 */
export async function waitForStack(
  dataDir: string,
  ready: (s: StackInfo) => boolean,
  opts: { timeoutMs?: number; what?: string; failed?: () => string | undefined } = {},
): Promise<StackInfo> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last: StackInfo | undefined;
  for (;;) {
    const why = opts.failed?.();
    if (why) throw new Error(`${why}\nlast stack.json: ${JSON.stringify(last?.raw ?? null)}`);
    last = readStack(dataDir);
    if (last && ready(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `stack.json in ${dataDir} did not show ${opts.what ?? 'the expected state'} within ${opts.timeoutMs ?? 120_000} ms; last: ${JSON.stringify(last?.raw ?? null)}`,
      );
    await pause(100);
  }
}

/** Every service `ready` (with a URL and a pid) and the renderer URL known. */
export function allReady(s: StackInfo): boolean {
  return (
    !!s.rendererUrl &&
    SERVICE_NAMES.every((n) => {
      const svc = s.services[n];
      return svc?.state === 'ready' && !!svc.url;
    })
  );
}

export function waitForStackReady(
  dataDir: string,
  opts: { timeoutMs?: number; failed?: () => string | undefined } = {},
): Promise<StackInfo> {
  return waitForStack(dataDir, allReady, { ...opts, what: 'every service ready' });
}

/** The URL of one service from the current stack.json (throws when it is not there). */
export function serviceUrl(dataDir: string, name: ServiceName): string {
  const url = readStack(dataDir)?.services[name]?.url;
  if (!url) throw new Error(`stack.json in ${dataDir} has no URL for ${name}`);
  return url.replace(/\/+$/, '');
}
