import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import type { ConnectionCheck } from '@msi/contracts/host';
import type { Settings, SettingsUpdate } from '@msi/contracts/settings';
import { ConfigService, messageOf } from '../../core/config';
import { HOST } from '../../core/host.service';
import { ThemeChoice, ThemeService } from '../../core/theme.service';

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
          <fieldset class="card">
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
            <label class="field">
              <span>Identity provider (issuer) URL</span>
              <input
                name="issuer"
                type="url"
                [attr.aria-describedby]="mode() === 'local' ? 'remote-hint' : null"
                [value]="s.remote.issuer"
                placeholder="https://login.example.com"
                [required]="mode() === 'remote'"
              />
            </label>
            <label class="field">
              <span>API URL</span>
              <input
                name="apiUrl"
                type="url"
                [attr.aria-describedby]="mode() === 'local' ? 'remote-hint' : null"
                [value]="s.remote.apiUrl"
                placeholder="https://assistant.example.com"
                [required]="mode() === 'remote'"
              />
            </label>
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

          <fieldset class="card">
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

          <div class="row">
            <button type="submit" class="primary" [disabled]="saving()">
              {{ saving() ? 'Saving…' : 'Save' }}
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
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export default class SettingsPage {
  private readonly host = inject(HOST);
  private readonly config = inject(ConfigService);
  protected readonly theme = inject(ThemeService);
  protected readonly settings = signal<Settings | null>(null);
  protected readonly mode = signal<Settings['mode']>('local');
  protected readonly loadError = signal<string | null>(null);
  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  protected readonly saveError = signal<string | null>(null);
  protected readonly testing = signal(false);
  protected readonly checks = signal<ConnectionCheck[] | null>(null);
  protected readonly testError = signal<string | null>(null);

  constructor() {
    this.host.getSettings().then(
      (settings) => {
        this.settings.set(settings);
        this.mode.set(settings.mode);
      },
      (error) => this.loadError.set(`Settings are not available: ${messageOf(error)}`),
    );
  }

  protected async save(event: Event, form: HTMLFormElement): Promise<void> {
    event.preventDefault();
    if (!form.reportValidity()) return;
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
    this.saving.set(true);
    this.saved.set(false);
    this.saveError.set(null);
    try {
      const settings = await this.host.updateSettings(update);
      this.settings.set(settings);
      this.theme.set(settings.theme ?? (update.theme as ThemeChoice));
      (form.elements.namedItem('apiKey') as HTMLInputElement).value = '';
      this.saved.set(true);
    } catch (error) {
      this.saveError.set(`Not saved: ${messageOf(error)}`);
    } finally {
      this.saving.set(false);
    }
  }

  protected async test(form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    let issuer = String(data.get('issuer') ?? '').trim();
    let apiUrl = String(data.get('apiUrl') ?? '').trim();
    if (this.mode() === 'local' && !(issuer && apiUrl) && this.config.loaded) {
      // Local mode with no remote addresses typed: test the local services this window uses.
      ({ issuer, apiUrl } = this.config.config);
    }
    this.testing.set(true);
    this.testError.set(null);
    this.checks.set(null);
    try {
      this.checks.set(
        await this.host.testConnection(issuer && apiUrl ? { issuer, apiUrl } : undefined),
      );
    } catch (error) {
      this.testError.set(`The test could not run: ${messageOf(error)}`);
    } finally {
      this.testing.set(false);
    }
  }
}
