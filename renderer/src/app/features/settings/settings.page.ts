import {
  ChangeDetectionStrategy,
  Component,
  Injector,
  afterNextRender,
  computed,
  inject,
  signal,
} from '@angular/core';
import { ActivatedRoute } from '@angular/router';
import type { ConnectionCheck } from '@msi/contracts/host';
import type { Settings, SettingsUpdate } from '@msi/contracts/settings';
import { AuthService } from '../../core/auth.service';
import { BrowserLocation } from '../../core/browser-location';
import { ConfigService, messageOf } from '../../core/config';
import { HOST } from '../../core/host.service';
import { sessionHint } from '../../core/session-hint';
import { SessionService } from '../../core/session.service';
import { ThemeChoice, ThemeService } from '../../core/theme.service';
import { ApprovalPolicySettings } from './approval-policy-settings';

interface Endpoints {
  issuer: string;
  apiUrl: string;
}

/** How long a switch to Local waits for the local services before it reloads anyway. */
const LOCAL_START_TIMEOUT_MS = 180_000;

/** Settings through the HostService: endpoints, model provider, API key (write-only), theme, connection test. */
@Component({
  selector: 'msi-settings-page',
  template: `
    <div class="page-content narrow">
      <h1>Settings</h1>
      @if (loadError(); as e) {
        <p role="alert" class="error-text">{{ e }}</p>
      }
      @if (settings(); as s) {
        <form (submit)="save($event, form)" #form class="settings-form">
          <!-- Hidden, never removed, for customers: the form still saves the addresses it has. -->
          <fieldset class="card" [hidden]="!showEndpoints()" data-testid="endpoints">
            <legend>Endpoints</legend>
            <div class="radio-row" role="radiogroup" aria-label="Mode">
              <label
                ><input
                  type="radio"
                  name="mode"
                  value="local"
                  [checked]="mode() === 'local'"
                  (change)="mode.set('local')"
                />
                Local — run every service on this computer</label
              >
              <label
                ><input
                  type="radio"
                  name="mode"
                  value="remote"
                  [checked]="mode() === 'remote'"
                  (change)="mode.set('remote')"
                />
                Remote — use a deployed identity provider and API</label
              >
            </div>
            @if (mode() === 'local') {
              <p class="muted small" id="remote-hint">
                The two addresses below are used only in Remote mode; in Local mode this computer
                runs the identity provider and the API, and Test connection checks those.
              </p>
            }
            @for (f of remoteFields; track f.name) {
              <label class="field">
                <span>{{ f.label }}</span>
                <input
                  [name]="f.name"
                  type="url"
                  [attr.aria-describedby]="mode() === 'local' ? 'remote-hint' : null"
                  [value]="s.remote[f.name]"
                  (input)="typed.set(endpointsOf(form))"
                  [placeholder]="f.placeholder"
                  [required]="mode() === 'remote'"
                />
              </label>
            }
            <div class="row">
              <button type="button" (click)="test(form)" [disabled]="testing()">
                {{ testing() ? 'Testing…' : 'Test connection' }}
              </button>
            </div>
            @if (checks(); as cs) {
              <ul class="checks" aria-label="Connection test results">
                @for (c of cs; track c.endpoint) {
                  <li [attr.data-ok]="c.ok" data-testid="connection-check">
                    <strong>{{ c.endpoint === 'idp' ? 'Identity provider' : 'API' }}</strong>
                    <span class="state" [attr.data-state]="c.ok ? 'ready' : 'failed'">{{
                      c.ok ? 'OK' : 'Failed'
                    }}</span>
                    <span class="muted small">{{ c.url }} · {{ c.ms }} ms</span>
                    <div class="small">{{ c.message }}</div>
                  </li>
                }
              </ul>
            }
            @if (testError(); as e) {
              <p role="alert" class="error-text">{{ e }}</p>
            }
          </fieldset>

          <fieldset class="card" id="model" tabindex="-1">
            <legend>Model</legend>
            <label class="field">
              <span>Provider</span>
              <select name="provider" [value]="s.model.provider">
                <option value="offline">Offline (no model: tools and templates)</option>
                <option value="openai">OpenAI-compatible</option>
              </select>
            </label>
            <label class="field">
              <span>Model</span>
              <input name="model" [value]="s.model.model" placeholder="gpt-4o-mini" />
            </label>
            <label class="field">
              <span>Base URL</span>
              <input
                name="baseUrl"
                type="url"
                [value]="s.model.baseUrl"
                placeholder="https://api.openai.com/v1"
              />
            </label>
            <label class="field">
              <span>API key</span>
              <input
                name="apiKey"
                type="password"
                autocomplete="off"
                [placeholder]="s.apiKeySet ? 'A key is saved — type to replace it' : 'No key saved'"
              />
            </label>
            @if (s.apiKeySet) {
              <label class="check"
                ><input type="checkbox" name="removeKey" /> Remove the saved key</label
              >
            }
          </fieldset>

          <fieldset class="card">
            <legend>Appearance</legend>
            <label class="field">
              <span>Theme</span>
              <select name="theme" [value]="theme.choice()">
                <option value="system">Same as the system</option>
                <option value="light">Light</option>
                <option value="dark">Dark</option>
              </select>
            </label>
          </fieldset>

          @if (signsOut()) {
            <p class="notice" role="status" data-testid="mode-change-notice">
              @if (modeChanging()) {
                Saving switches to {{ mode() === 'remote' ? 'Remote' : 'Local' }} mode and signs you
                out:
              } @else {
                Saving changes the addresses this window uses and signs you out:
              }
              the window reloads with the new addresses, then you sign in again.
            </p>
          }
          @if (confirmFailed(); as failed) {
            <div class="card confirm" role="alertdialog" aria-labelledby="confirm-title">
              <p id="confirm-title">
                <strong>The connection test failed</strong> for {{ failed.join(' and ') }}. Save
                these addresses anyway?
              </p>
              <div class="row">
                <button type="button" class="danger" (click)="saveAnyway(form)">Save anyway</button>
                <button type="button" (click)="confirmFailed.set(null)">Cancel</button>
              </div>
            </div>
          }
          <div class="row">
            <button type="submit" class="primary" [disabled]="saving() || !!confirmFailed()">
              {{ saving() ? progress() || 'Saving…' : signsOut() ? 'Save and sign out' : 'Save' }}
            </button>
            @if (saved()) {
              <span role="status" class="ok-text">Saved.</span>
            }
            @if (saveError(); as e) {
              <span role="alert" class="error-text">{{ e }}</span>
            }
          </div>
        </form>
      } @else if (!loadError()) {
        <p class="muted" role="status">Loading settings…</p>
      }
      <msi-approval-policy-settings />
    </div>
  `,
  imports: [ApprovalPolicySettings],
  styleUrl: './settings.page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class SettingsPage {
  private readonly host = inject(HOST);
  private readonly config = inject(ConfigService);
  private readonly auth = inject(AuthService);
  private readonly session = inject(SessionService);
  private readonly location = inject(BrowserLocation);
  private readonly injector = inject(Injector);
  protected readonly theme = inject(ThemeService);
  /** The two addresses of Remote mode, in the order the form shows them. */
  protected readonly remoteFields = [
    {
      name: 'issuer',
      label: 'Identity provider (issuer) URL',
      placeholder: 'https://login.example.com',
    },
    { name: 'apiUrl', label: 'API URL', placeholder: 'https://assistant.example.com' },
  ] as const;
  /** Where the app connects is support staff's business; before sign-in (or when the API cannot be
   *  reached to say who this is) everyone sees it, or nobody could connect at all. */
  protected readonly showEndpoints = computed(
    () => !this.auth.signedIn() || !!this.session.error() || this.session.can().configureEndpoints,
  );
  protected readonly settings = signal<Settings | null>(null);
  protected readonly mode = signal<Settings['mode']>('local');
  protected readonly loadError = signal<string | null>(null);
  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  protected readonly saveError = signal<string | null>(null);
  protected readonly testing = signal(false);
  protected readonly checks = signal<ConnectionCheck[] | null>(null);
  protected readonly testError = signal<string | null>(null);
  /** The endpoints the shown checks are for. */
  private testedFor: Endpoints | null = null;
  /** The endpoints that failed the connection test, while Save waits for "Save anyway" or "Cancel". */
  protected readonly confirmFailed = signal<string[] | null>(null);
  /** What a save that changes the mode is doing ("Starting the local services: 3 of 5 ready…"). */
  protected readonly progress = signal<string | null>(null);
  /** The remote addresses as typed. */
  protected readonly typed = signal<Endpoints>({ issuer: '', apiUrl: '' });
  protected readonly modeChanging = computed(() => {
    const settings = this.settings();
    return !!settings && settings.mode !== this.mode();
  });
  /** Saving changes the addresses this window uses (so it signs the person out). */
  protected readonly signsOut = computed(() => {
    const settings = this.settings();
    if (!settings) return false;
    if (settings.mode !== this.mode()) return true;
    const typed = this.typed();
    return (
      this.mode() === 'remote' &&
      (typed.issuer !== settings.remote.issuer || typed.apiUrl !== settings.remote.apiUrl)
    );
  });

  constructor() {
    const fragment = inject(ActivatedRoute).snapshot.fragment;
    this.host.getSettings().then(
      (settings) => {
        this.settings.set(settings);
        this.mode.set(settings.mode);
        this.typed.set({ ...settings.remote });
        if (fragment) afterNextRender(() => this.reveal(fragment), { injector: this.injector });
      },
      (error) => this.loadError.set(`Settings are not available: ${messageOf(error)}`),
    );
  }

  /** Settings → Model (a link from the "Basic mode" badge): scrolled into view and focused. */
  private reveal(id: string): void {
    const element = document.getElementById(id);
    element?.scrollIntoView?.({ block: 'start' });
    element?.focus({ preventScroll: true });
  }

  protected async save(event: Event, form: HTMLFormElement): Promise<void> {
    event.preventDefault();
    if (!form.reportValidity()) return;
    // Remote endpoints that are about to be used: they must pass the connection test, or the person
    // says to save them anyway.
    const endpoints = this.endpointsOf(form);
    const settings = this.settings();
    const remoteChanges =
      this.mode() === 'remote' &&
      (settings?.mode !== 'remote' ||
        endpoints.issuer !== settings.remote.issuer ||
        endpoints.apiUrl !== settings.remote.apiUrl);
    if (remoteChanges) {
      const failed = await this.failedChecks(endpoints);
      if (failed === null) return;
      if (failed.length) {
        this.confirmFailed.set(failed);
        return;
      }
    }
    await this.store(form);
  }

  protected async saveAnyway(form: HTMLFormElement): Promise<void> {
    this.confirmFailed.set(null);
    await this.store(form);
  }

  /** The names of the endpoints that fail the test (testing them unless the shown checks are theirs). */
  private async failedChecks(endpoints: Endpoints): Promise<string[] | null> {
    const tested = this.testedFor;
    const current =
      tested?.issuer === endpoints.issuer && tested.apiUrl === endpoints.apiUrl && this.checks();
    const checks = current || (await this.runTest(endpoints));
    if (!checks) return null;
    return checks
      .filter((c) => !c.ok)
      .map((c) => `${c.endpoint === 'idp' ? 'the identity provider' : 'the API'} (${c.url})`);
  }

  protected endpointsOf(form: HTMLFormElement): Endpoints {
    const data = new FormData(form);
    return {
      issuer: String(data.get('issuer') ?? '').trim(),
      apiUrl: String(data.get('apiUrl') ?? '').trim(),
    };
  }

  private async store(form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const update: SettingsUpdate = {
      mode: this.mode(),
      remote: { issuer: text('issuer'), apiUrl: text('apiUrl') },
      model: {
        provider: text('provider') as Settings['model']['provider'],
        model: text('model'),
        baseUrl: text('baseUrl'),
      },
      theme: text('theme') as ThemeChoice,
    };
    if (text('apiKey')) update.apiKey = text('apiKey');
    else if (data.get('removeKey')) update.apiKey = null;
    const signsOut = this.signsOut();
    this.saving.set(true);
    this.saved.set(false);
    this.saveError.set(null);
    try {
      const settings = await this.host.updateSettings(update);
      this.theme.set(settings.theme ?? (update.theme as ThemeChoice));
      (form.elements.namedItem('apiKey') as HTMLInputElement).value = '';
      if (signsOut) {
        await this.switchWindow(settings.mode);
        return;
      }
      this.settings.set(settings);
      this.saved.set(true);
    } catch (error) {
      this.saveError.set(`Not saved: ${messageOf(error)}`);
    }
    this.saving.set(false);
  }

  /**
   * After a mode change this window's addresses (from /config.json) are stale: sign out, wait for the
   * local services when they are starting, and reload on the sign-in page with the new configuration.
   */
  private async switchWindow(mode: Settings['mode']): Promise<void> {
    this.progress.set('Signing out…');
    sessionHint.clear();
    await this.auth.signOutHere();
    if (mode === 'local') await this.waitForLocalServices();
    this.progress.set('Reloading…');
    this.location.assign(`/sign-in?switched=${mode}`);
  }

  private async waitForLocalServices(): Promise<void> {
    const deadline = Date.now() + LOCAL_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      try {
        const services = await this.host.getStatus();
        const ready = services.filter((s) => s.state === 'ready').length;
        if (services.length && ready === services.length) return;
        if (services.some((s) => s.state === 'failed')) return; // the Status page says which and why
        this.progress.set(`Starting the local services: ${ready} of ${services.length} ready…`);
      } catch {
        this.progress.set('Starting the local services…');
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  protected async test(form: HTMLFormElement): Promise<void> {
    let { issuer, apiUrl } = this.endpointsOf(form);
    if (this.mode() === 'local' && !(issuer && apiUrl) && this.config.loaded) {
      // Local mode with no remote addresses typed: test the local services this window uses.
      ({ issuer, apiUrl } = this.config.config);
    }
    await this.runTest({ issuer, apiUrl });
  }

  private async runTest(endpoints: Endpoints): Promise<ConnectionCheck[] | null> {
    this.testing.set(true);
    this.testError.set(null);
    this.checks.set(null);
    try {
      const { issuer, apiUrl } = endpoints;
      const checks = await this.host.testConnection(
        issuer && apiUrl ? { issuer, apiUrl } : undefined,
      );
      this.checks.set(checks);
      this.testedFor = endpoints;
      return checks;
    } catch (error) {
      this.testError.set(`The test could not run: ${messageOf(error)}`);
      return null;
    } finally {
      this.testing.set(false);
    }
  }
}
