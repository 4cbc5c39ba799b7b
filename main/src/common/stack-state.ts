/**
 * The local stack's state in words, for the splash (progress per service while they start) and the
 * Stack menu (each service's state, always current). Pure: electron-main renders it, tests read it.
 */
import type { ServiceState, ServiceStatus } from './host-api.js';

/** Display names, in start-up order. */
export const SERVICE_LABELS = {
  idp: 'Sign-in (IDP)',
  ticketing: 'Tickets',
  organizations: 'Organizations',
  chroma: 'Vector store (Chroma)',
  api: 'Assistant API',
} as const;

const MARK: Record<ServiceState, string> = {
  ready: '●',
  starting: '○',
  restarting: '↻',
  stopped: '–',
  failed: '✕',
  not_responding: '!',
};

/** One line per service: "● Tickets — ready on :9000", "✕ Assistant API — failed: exited with code 74". */
export function serviceLine(s: ServiceStatus): string {
  const detail =
    s.state === 'ready' && s.port
      ? `ready on :${s.port}`
      : s.state === 'failed' && s.lastError
        ? `failed: ${s.lastError.split('\n')[0]!.slice(0, 80)}`
        : s.state.replace('_', ' ');
  return `${MARK[s.state]} ${SERVICE_LABELS[s.name]} — ${detail}${s.restarts > 0 && s.state !== 'failed' ? ` (restarted ${s.restarts}×)` : ''}`;
}

/** "3 of 5 services ready", "all 5 services ready", "1 service failed: api", "local services stopped". */
export function stackSummary(status: readonly ServiceStatus[]): string {
  if (status.length === 0) return 'no local services (remote mode)';
  const failed = status.filter((s) => s.state === 'failed');
  if (failed.length)
    return `${failed.length} ${failed.length === 1 ? 'service' : 'services'} failed: ${failed.map((s) => s.name).join(', ')}`;
  const ready = status.filter((s) => s.state === 'ready').length;
  if (ready === status.length) return `all ${ready} services ready`;
  if (status.every((s) => s.state === 'stopped')) return 'local services stopped';
  return `${ready} of ${status.length} services ready`;
}

const escape = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The splash page: a title, the summary and one line per service (updated in place by `splashUpdate`). */
export function splashHtml(): string {
  return (
    '<!doctype html><meta charset="utf-8"><title>MSI Assistant</title>' +
    '<body style="font:14px system-ui;margin:24px;color:#1b1f24;background:#fff">' +
    '<h2 style="margin:0 0 8px">MSI Assistant</h2>' +
    '<p id="summary" style="margin:0 0 12px">Starting the local services…</p>' +
    '<ul id="services" style="list-style:none;padding:0;margin:0;line-height:1.7"></ul></body>'
  );
}

/** The script that puts `status` into the splash page. */
export function splashUpdate(status: readonly ServiceStatus[]): string {
  const items = status.map((s) => `<li>${escape(serviceLine(s))}</li>`).join('');
  return (
    `document.getElementById('summary').textContent=${JSON.stringify(`Starting the local services: ${stackSummary(status)}`)};` +
    `document.getElementById('services').innerHTML=${JSON.stringify(items)};`
  );
}
