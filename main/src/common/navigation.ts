/**
 * The navigation lock (pure; electron-main/window.ts applies it).
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
