import { Injectable, signal } from '@angular/core';
import type { RendererConfig } from '@msi/contracts/host';

/** The renderer's configuration, served by the host at `/config.json` and loaded before the app starts. */
@Injectable({ providedIn: 'root' })
export class ConfigService {
  private readonly value = signal<RendererConfig | null>(null);
  /** Why `/config.json` could not be loaded, in words. */
  readonly loadError = signal<string | null>(null);

  get config(): RendererConfig {
    const config = this.value();
    if (!config) throw new Error(this.loadError() ?? 'The configuration has not been loaded yet.');
    return config;
  }

  get loaded(): boolean {
    return this.value() !== null;
  }

  async load(url = '/config.json'): Promise<void> {
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) throw new Error(`the host answered HTTP ${response.status}`);
      const config = (await response.json()) as RendererConfig;
      for (const key of ['issuer', 'clientId', 'apiUrl'] as const) {
        if (typeof config[key] !== 'string' || !config[key]) throw new Error(`"${key}" is missing`);
      }
      this.set(config);
    } catch (error) {
      this.loadError.set(`Could not load the app configuration (${url}): ${messageOf(error)}.`);
    }
  }

  set(config: RendererConfig): void {
    this.value.set({
      ...config,
      issuer: config.issuer.replace(/\/+$/, ''),
      apiUrl: config.apiUrl.replace(/\/+$/, ''),
    });
    this.loadError.set(null);
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
