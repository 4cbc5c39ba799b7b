import { Injectable, computed, signal } from '@angular/core';
import type { Settings } from '@msi/contracts/settings';

export type ThemeChoice = Settings['theme'];
const KEY = 'msi.theme';

/** Light/dark: the person's choice (kept in localStorage), else the system's preference. */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  readonly choice = signal<ThemeChoice>(readChoice());
  private readonly systemDark = signal(false);
  readonly resolved = computed(() => {
    const choice = this.choice();
    return choice === 'system' ? (this.systemDark() ? 'dark' : 'light') : choice;
  });

  constructor() {
    const media =
      typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
    if (media) {
      this.systemDark.set(media.matches);
      media.addEventListener?.('change', (event) => {
        this.systemDark.set(event.matches);
        this.apply();
      });
    }
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice.set(choice);
    try {
      localStorage.setItem(KEY, choice);
    } catch {
      // Storage may be unavailable; the choice still holds for this window.
    }
    this.apply();
  }

  toggle(): void {
    this.set(this.resolved() === 'dark' ? 'light' : 'dark');
  }

  private apply(): void {
    const root = document.documentElement;
    root.dataset['theme'] = this.resolved();
    root.style.colorScheme = this.resolved();
  }
}

function readChoice(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}
