import { Injectable } from '@angular/core';

/** Full-page navigation (to the identity provider and back), behind a class so tests can replace it. */
@Injectable({ providedIn: 'root' })
export class BrowserLocation {
  get origin(): string {
    return window.location.origin;
  }
  assign(url: string): void {
    window.location.assign(url);
  }
  replace(url: string): void {
    window.location.replace(url);
  }
}
