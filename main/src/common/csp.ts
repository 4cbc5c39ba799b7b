/**
 * The renderer's Content-Security-Policy: scripts only from the host itself, network only to the
 * host, the IDP and the API. Styles allow inline (Angular component styles are injected at runtime).
 */
export function contentSecurityPolicy(connect: { issuer: string; apiUrl: string }): string {
  const origins = [connect.issuer, connect.apiUrl]
    .map((u) => {
      try {
        return new URL(u).origin;
      } catch {
        return undefined;
      }
    })
    .filter((o): o is string => !!o);
  const connectSrc = ["'self'", ...new Set(origins)].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connectSrc}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    `form-action 'self' ${[...new Set(origins)].join(' ')}`.trim(),
  ].join('; ');
}
