/**
 * The running stack as the app itself reports it: `<data dir>/stack.json`, which the stack command (and the
 * Electron main process) keeps current with each service's URL, pid and state, and the renderer's URL.
 * Tests wait on this file — it is the app's own emitted state — never on fixed sleeps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_NAMES = ['idp', 'ticketing', 'organizations', 'chroma', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface StackService {
  name: string;
  state: string;
  url?: string;
  port?: number;
  pid?: number;
  restarts?: number;
  lastError?: string;
}

export interface StackInfo {
  mode?: string;
  /** Where the renderer is served (the host). */
  rendererUrl: string;
  services: Partial<Record<string, StackService>>;
  /** The file as written, for diagnostics. */
  raw: unknown;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Normalizes the file: services as an array or a name → service map; renderer URL as `renderer.url`,
 *  `rendererUrl` or the host's URL. */
export function parseStack(raw: unknown): StackInfo | undefined {
  if (!isObj(raw)) return undefined;
  const services: Record<string, StackService> = {};
  const list = raw.services;
  if (Array.isArray(list)) {
    for (const s of list)
      if (isObj(s) && typeof s.name === 'string') services[s.name] = s as unknown as StackService;
  } else if (isObj(list)) {
    for (const [name, s] of Object.entries(list))
      if (isObj(s)) services[name] = { name, ...(s as Json) } as StackService;
  }
  const renderer = raw.renderer;
  const host = raw.host;
  const rendererUrl =
    (isObj(renderer) && typeof renderer.url === 'string' && renderer.url) ||
    (typeof renderer === 'string' && renderer) ||
    (typeof raw.rendererUrl === 'string' && raw.rendererUrl) ||
    (isObj(host) && typeof host.url === 'string' && host.url) ||
    '';
  return { mode: typeof raw.mode === 'string' ? raw.mode : undefined, rendererUrl, services, raw };
}

export const stackFile = (dataDir: string) => join(dataDir, 'stack.json');

/** The current stack.json, or undefined while it does not exist or is half-written. */
export function readStack(dataDir: string): StackInfo | undefined {
  let text: string;
  try {
    text = readFileSync(stackFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseStack(JSON.parse(text));
  } catch {
    return undefined;
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
