/**
 * The desktop client's redirect URIs: loopback http on any port (RFC 8252), and besides those only an
 * https renderer origin the operator configured (ALLOWED_ORIGINS) — the topology's nginx serving the
 * renderer (docs/topology.md). Any other https site gets no code.
 */
import { describe, expect, it } from 'vitest';
import { registeredClients } from '../src/clients.js';
import { parseIdpConfig } from '../src/config.js';

const cfg = parseIdpConfig({
  API_CLIENT_SECRET: 'a-long-enough-test-secret-for-the-idp',
  ALLOWED_ORIGINS: 'https://127.0.0.1:8443,http://127.0.0.1:4200',
});
const desktop = registeredClients(cfg).get('msi-desktop')!;

describe('desktop client redirect URIs', () => {
  it('takes the configured https renderer origin, with the callback path only', () => {
    expect(desktop.redirectUriOk('https://127.0.0.1:8443/auth/callback')).toBe(true);
    expect(desktop.redirectUriOk('https://127.0.0.1:8443/elsewhere')).toBe(false);
    expect(desktop.redirectUriOk('https://127.0.0.1:8443/auth/callback?x=1')).toBe(false);
    expect(desktop.postLogoutRedirectUriOk('https://127.0.0.1:8443/auth/signed-out')).toBe(true);
    expect(desktop.trustedRedirect('https://127.0.0.1:8443/auth/callback')).toBe(true);
  });

  it('refuses an https origin nobody configured, and keeps loopback http on any port', () => {
    expect(desktop.redirectUriOk('https://127.0.0.1:9443/auth/callback')).toBe(false);
    expect(desktop.redirectUriOk('https://evil.example/auth/callback')).toBe(false);
    expect(desktop.postLogoutRedirectUriOk('https://evil.example/')).toBe(false);
    expect(desktop.redirectUriOk('http://127.0.0.1:51234/auth/callback')).toBe(true);
    expect(desktop.trustedRedirect('http://127.0.0.1:51234/auth/callback')).toBe(false);
  });
});
