import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/common/csp.js';
import { HOST_METHODS } from '../../src/common/host-api.js';
import {
  IPC_CHANNELS,
  STATUS_CHANNEL,
  classifyNavigation,
  isHostMethod,
  isTrustedSender,
  methodOfChannel,
} from '../../src/common/ipc.js';

const APP = 'http://127.0.0.1:4200';

describe('IPC channel map', () => {
  it('has one distinct channel per HostService method, and maps back', () => {
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual([...HOST_METHODS].sort());
    const channels = Object.values(IPC_CHANNELS);
    expect(new Set(channels).size).toBe(HOST_METHODS.length);
    for (const m of HOST_METHODS) expect(methodOfChannel(IPC_CHANNELS[m])).toBe(m);
    expect(channels).not.toContain(STATUS_CHANNEL);
  });

  it('refuses channels and names that are not host methods', () => {
    expect(methodOfChannel('host:constructor')).toBeUndefined();
    expect(methodOfChannel('other:getStatus')).toBeUndefined();
    expect(isHostMethod('toString')).toBe(false);
    expect(isHostMethod(42)).toBe(false);
    expect(isHostMethod('getStatus')).toBe(true);
  });
});

describe('sender check', () => {
  it('trusts only the main frame on the app origin', () => {
    expect(isTrustedSender(`${APP}/chat`, true, APP)).toBe(true);
    expect(isTrustedSender(`${APP}/chat`, false, APP)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:4201/', true, APP)).toBe(false);
    expect(isTrustedSender('http://localhost:4200/', true, APP)).toBe(false);
    expect(isTrustedSender('file:///etc/passwd', true, APP)).toBe(false);
    expect(isTrustedSender(undefined, true, APP)).toBe(false);
    expect(isTrustedSender('not a url', true, APP)).toBe(false);
  });
});

describe('navigation lock', () => {
  it('keeps the app origin, sends http(s) out, denies the rest', () => {
    expect(classifyNavigation(`${APP}/auth/callback?code=x`, APP)).toBe('app');
    expect(classifyNavigation('https://docs.example.com/x', APP)).toBe('external');
    expect(classifyNavigation('http://127.0.0.1:9400/authorize', APP)).toBe('external');
    expect(classifyNavigation('file:///etc/passwd', APP)).toBe('deny');
    expect(classifyNavigation('javascript:alert(1)', APP)).toBe('deny');
    expect(classifyNavigation('::', APP)).toBe('deny');
  });
});

describe('content security policy', () => {
  it('limits scripts to self and connections to self, the IDP and the API', () => {
    const csp = contentSecurityPolicy({
      issuer: 'https://idp.example.com/realms/x',
      apiUrl: 'https://api.example.com/',
    });
    const d = Object.fromEntries(csp.split('; ').map((p) => [p.split(' ')[0], p.split(' ').slice(1)]));
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['connect-src']).toEqual(["'self'", 'https://idp.example.com', 'https://api.example.com']);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
  });

  it('leaves out URLs that are not URLs (empty remote settings)', () => {
    expect(contentSecurityPolicy({ issuer: '', apiUrl: '' })).toContain("connect-src 'self';");
  });
});
