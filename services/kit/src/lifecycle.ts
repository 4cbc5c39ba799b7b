import type { Logger } from './log.js';

type Hook = () => unknown | Promise<unknown>;
const hooks: Hook[] = [];
let installed = false;
let stopping = false;

/** Register work to do on shutdown (closing servers, databases). Runs in reverse order. */
export function onShutdown(hook: Hook): void {
  hooks.push(hook);
}

/** Run the shutdown hooks once, then exit. Gives up waiting after `graceMs`. */
export async function shutdown(
  log: Logger | undefined,
  reason: string,
  code = 0,
  graceMs = 5000,
): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The deadline comes first: nothing below (not even a log write to a closed pipe) may keep us alive.
  const timer = setTimeout(() => process.exit(code || 1), graceMs);
  timer.unref();
  const say = (fn: () => void) => {
    try {
      fn();
    } catch {
      // stdout may be gone with the parent; shutting down matters more than the log line
    }
  };
  say(() => log?.info({ reason }, 'shutting down'));
  for (const hook of [...hooks].reverse()) {
    try {
      await hook();
    } catch (err) {
      say(() => log?.error({ err }, 'shutdown hook failed'));
    }
  }
  process.exit(code);
}

/**
 * Graceful shutdown on SIGTERM/SIGINT, and when the parent goes away (IPC channel closed, or the
 * parent pid changes because we were re-parented): a service never outlives the app that started it.
 */
export function installLifecycle(log?: Logger): void {
  if (installed) return;
  installed = true;
  process.once('SIGTERM', () => void shutdown(log, 'SIGTERM'));
  process.once('SIGINT', () => void shutdown(log, 'SIGINT'));
  if (process.send) process.once('disconnect', () => void shutdown(log, 'parent disconnected'));
  const parent = process.ppid;
  if (parent > 1) {
    const timer = setInterval(() => {
      if (process.ppid !== parent) void shutdown(log, `parent ${parent} is gone`);
    }, 500);
    timer.unref();
  }
}

/**
 * Runs `task` a moment after start-up (default 1.5 s), once the rush of a whole stack starting at once is
 * over: for loading code that was left out of start-up so that the first request need not wait for it.
 * Errors are ignored here (the first real use reports them); the timer never keeps the process alive.
 */
export function warmUpLater(task: () => unknown, delayMs = 1500): void {
  setTimeout(() => {
    void Promise.resolve()
      .then(task)
      .catch(() => {});
  }, delayMs).unref();
}
