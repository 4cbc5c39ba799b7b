/**
 * The typed map of IPC channels, derived from HOST_METHODS (one `invoke` channel per HostService
 * method) plus the status push channel (both prefixes are in contracts/src/host.ts), and the sender
 * check every handler runs. Pure: shared by electron-main and its tests (the sandboxed preload
 * repeats the constants, type-checked against the contract, see preload.cts).
 */
import { HOST_METHODS, INVOKE_PREFIX, type HostMethod, type InvokeChannel } from './host-api.js';

export { INVOKE_PREFIX, STATUS_CHANNEL, type InvokeChannel } from './host-api.js';

export const IPC_CHANNELS: { readonly [M in HostMethod]: InvokeChannel } = Object.fromEntries(
  HOST_METHODS.map((m) => [m, `${INVOKE_PREFIX}${m}`]),
) as { [M in HostMethod]: InvokeChannel };

export function isHostMethod(value: unknown): value is HostMethod {
  return typeof value === 'string' && (HOST_METHODS as readonly string[]).includes(value);
}

/** The method an invoke channel stands for, or undefined for anything else. */
export function methodOfChannel(channel: string): HostMethod | undefined {
  if (!channel.startsWith(INVOKE_PREFIX)) return undefined;
  const m = channel.slice(INVOKE_PREFIX.length);
  return isHostMethod(m) ? m : undefined;
}

/**
 * Whether an IPC message comes from our own page: the sending frame must be the main frame and its
 * URL must be on the app's origin (the host, http://127.0.0.1:PORT). Anything else — a subframe,
 * a page the window was somehow navigated to, file:// — is refused.
 */
export function isTrustedSender(
  frameUrl: string | undefined,
  isMainFrame: boolean,
  appOrigin: string,
): boolean {
  if (!isMainFrame || !frameUrl) return false;
  try {
    return new URL(frameUrl).origin === new URL(appOrigin).origin;
  } catch {
    return false;
  }
}

/**
 * Where a navigation or window.open may go: the app's own origin and the IDP's (sign-in pages) stay in
 * the window, other http(s) URLs go to the system browser, anything else is denied.
 */
export function classifyNavigation(
  url: string,
  inAppOrigins: readonly string[],
): 'app' | 'external' | 'deny' {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'deny';
  }
  const origins = inAppOrigins.flatMap((o) => {
    try {
      return [new URL(o).origin];
    } catch {
      return [];
    }
  });
  if ((u.protocol === 'http:' || u.protocol === 'https:') && origins.includes(u.origin)) return 'app';
  if (u.protocol === 'http:' || u.protocol === 'https:') return 'external';
  return 'deny';
}
