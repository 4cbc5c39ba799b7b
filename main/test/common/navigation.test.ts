import { describe, expect, it } from 'vitest';
import { classifyNavigation } from '../../src/common/navigation.js';

const APP = 'http://127.0.0.1:4200';

describe('navigation lock', () => {
  it('keeps the app and IDP origins, sends other http(s) out, denies the rest', () => {
    const inApp = [APP, 'http://127.0.0.1:9400', ''];
    expect(classifyNavigation(`${APP}/auth/callback?code=x`, inApp)).toBe('app');
    expect(classifyNavigation('http://127.0.0.1:9400/authorize?client_id=msi-desktop', inApp)).toBe('app');
    expect(classifyNavigation('https://docs.example.com/x', inApp)).toBe('external');
    expect(classifyNavigation('http://127.0.0.1:9401/', inApp)).toBe('external');
    expect(classifyNavigation('file:///etc/passwd', inApp)).toBe('deny');
    expect(classifyNavigation('javascript:alert(1)', inApp)).toBe('deny');
    expect(classifyNavigation('::', inApp)).toBe('deny');
  });
});
