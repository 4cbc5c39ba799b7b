import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { ConnectionCheck, ServiceStatus, Settings, SettingsUpdate } from '@msi/contracts/host';
import { signal, type WritableSignal } from '@angular/core';
import { CAN_NOTHING, canOf, type Can } from '@msi/contracts/roles';
import { AuthService } from '../../core/auth.service';
import { SessionService } from '../../core/session.service';
import { BrowserLocation } from '../../core/browser-location';
import { ConfigService } from '../../core/config';
import { LOCAL_CONFIG } from '../../../testing/config';
import { HOST } from '../../core/host.service';
import SettingsPage from './settings.page';

const LOCAL: Settings = {
  mode: 'local',
  remote: { issuer: '', apiUrl: '' },
  model: { provider: 'offline', model: '', baseUrl: '' },
  apiKeySet: false,
  theme: 'light',
};

const check = (endpoint: 'idp' | 'api', url: string, ok: boolean): ConnectionCheck => ({
  endpoint,
  url,
  ok,
  message: ok ? 'ok' : 'connection refused',
  ms: 3,
});

/** The desktop shell as the page sees it: settings kept in memory, a scripted connection test. */
class FakeHost {
  readonly kind = 'http';
  stored: Settings = structuredClone(LOCAL);
  checksOk = true;
  status: ServiceStatus[][] = [];
  getSettings = vi.fn(async () => structuredClone(this.stored));
  updateSettings = vi.fn(async (update: SettingsUpdate) => {
    this.stored = {
      ...this.stored,
      mode: update.mode ?? this.stored.mode,
      remote: { ...this.stored.remote, ...update.remote },
    };
    return structuredClone(this.stored);
  });
  testConnection = vi.fn(async (target?: { issuer: string; apiUrl: string }) => [
    check('idp', target!.issuer, this.checksOk),
    check('api', target!.apiUrl, this.checksOk),
  ]);
  getStatus = vi.fn(async () => this.status.shift() ?? []);
}

const service = (name: ServiceStatus['name'], state: ServiceStatus['state']): ServiceStatus => ({
  name,
  state,
  restarts: 0,
});

describe('SettingsPage', () => {
  let host: FakeHost;
  let location: { assign: ReturnType<typeof vi.fn>; origin: string };
  let auth: { signOutHere: ReturnType<typeof vi.fn>; signedIn: WritableSignal<boolean> };
  let can: WritableSignal<Can>;

  beforeEach(() => {
    host = new FakeHost();
    location = { assign: vi.fn(), origin: 'http://127.0.0.1:4200' };
    auth = { signOutHere: vi.fn(async () => undefined), signedIn: signal(false) };
    can = signal(CAN_NOTHING);
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: HOST, useValue: host },
        { provide: BrowserLocation, useValue: location },
        { provide: AuthService, useValue: auth },
        { provide: SessionService, useValue: { can, error: signal(null) } },
      ],
    });
    TestBed.inject(ConfigService).set(LOCAL_CONFIG);
  });

  async function setup() {
    const fixture = TestBed.createComponent(SettingsPage);
    const root = fixture.nativeElement as HTMLElement;
    const settle = async () => {
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve));
        await fixture.whenStable();
      }
    };
    await settle();
    const button = (name: string) =>
      [...root.querySelectorAll<HTMLButtonElement>('button')].find(
        (b) => b.textContent?.trim() === name,
      );
    const fill = (name: string, value: string) => {
      const input = root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    const chooseRemote = async () => {
      const radio = root.querySelector<HTMLInputElement>('input[value="remote"]')!;
      radio.checked = true;
      radio.dispatchEvent(new Event('change'));
      fill('issuer', 'https://login.example.com');
      fill('apiUrl', 'https://assistant.example.com');
      await settle();
    };
    return { root, settle, button, chooseRemote };
  }

  it('says before saving that a mode change signs the person out, then reloads the window on sign-in', async () => {
    const { root, settle, button, chooseRemote } = await setup();
    expect(root.querySelector('[data-testid="mode-change-notice"]')).toBeNull();
    expect(button('Save')).toBeDefined();
    await chooseRemote();
    expect(root.querySelector('[data-testid="mode-change-notice"]')?.textContent).toContain(
      'switches to Remote mode and signs you out',
    );
    button('Save and sign out')!.click();
    await settle();
    expect(host.testConnection).toHaveBeenCalledWith({
      issuer: 'https://login.example.com',
      apiUrl: 'https://assistant.example.com',
    });
    expect(host.updateSettings).toHaveBeenCalledWith(expect.objectContaining({ mode: 'remote' }));
    expect(auth.signOutHere).toHaveBeenCalled();
    expect(location.assign).toHaveBeenCalledWith('/sign-in?switched=remote');
  });

  it('asks before saving endpoints whose connection test failed', async () => {
    host.checksOk = false;
    const { root, settle, button, chooseRemote } = await setup();
    await chooseRemote();
    button('Save and sign out')!.click();
    await settle();
    const confirm = root.querySelector('[role="alertdialog"]');
    expect(confirm?.textContent).toContain('The connection test failed');
    expect(confirm?.textContent).toContain('https://login.example.com');
    expect(host.updateSettings).not.toHaveBeenCalled();

    button('Cancel')!.click();
    await settle();
    expect(root.querySelector('[role="alertdialog"]')).toBeNull();
    expect(host.updateSettings).not.toHaveBeenCalled();

    button('Save and sign out')!.click();
    await settle();
    button('Save anyway')!.click();
    await settle();
    expect(host.updateSettings).toHaveBeenCalledTimes(1);
    expect(location.assign).toHaveBeenCalledWith('/sign-in?switched=remote');
  });

  it('back to Local: waits until the local services are ready, then reloads', async () => {
    host.stored = {
      ...structuredClone(LOCAL),
      mode: 'remote',
      remote: { issuer: 'https://login.example.com', apiUrl: 'https://assistant.example.com' },
    };
    host.status = [
      [service('idp', 'starting'), service('api', 'starting')],
      [service('idp', 'ready'), service('api', 'starting')],
      [service('idp', 'ready'), service('api', 'ready')],
    ];
    const { root, settle, button } = await setup();
    const radio = root.querySelector<HTMLInputElement>('input[value="local"]')!;
    radio.checked = true;
    radio.dispatchEvent(new Event('change'));
    await settle();
    button('Save and sign out')!.click();
    await settle();
    expect(host.testConnection).not.toHaveBeenCalled();
    expect(host.updateSettings).toHaveBeenCalledWith(expect.objectContaining({ mode: 'local' }));
    expect(location.assign).not.toHaveBeenCalled();
    await vi.waitFor(
      () => expect(location.assign).toHaveBeenCalledWith('/sign-in?switched=local'),
      {
        timeout: 5000,
      },
    );
    expect(host.getStatus).toHaveBeenCalledTimes(3);
  });

  it('saving without a mode change says Saved and stays', async () => {
    const { root, settle, button } = await setup();
    button('Save')!.click();
    await settle();
    expect(root.textContent).toContain('Saved.');
    expect(auth.signOutHere).not.toHaveBeenCalled();
    expect(location.assign).not.toHaveBeenCalled();
  });

  it('endpoints are for support staff: a signed-in customer does not see them, but the form keeps them', async () => {
    auth.signedIn.set(true);
    can.set(canOf(['customer']));
    const fixture = TestBed.createComponent(SettingsPage);
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    const endpoints = root.querySelector<HTMLElement>('[data-testid="endpoints"]')!;
    expect(endpoints.hidden).toBe(true);
    // Still in the form, so a save writes back the addresses it had.
    expect(root.querySelector<HTMLInputElement>('input[name="issuer"]')).not.toBeNull();
    can.set(canOf(['agent']));
    await fixture.whenStable();
    expect(endpoints.hidden).toBe(false);
  });
});
