import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { ConfigService } from './core/config';
import { CardPage } from './ui/card-page';

@Component({
  selector: 'msi-root',
  imports: [CardPage, RouterOutlet],
  template: `
    @if (config.loadError(); as error) {
      <msi-card-page>
        <h1>MSI Assistant cannot start</h1>
        <p class="error-text" role="alert">{{ error }}</p>
        <p class="muted">
          Start the app from the desktop shell or with <code>npm run stack</code>, then reload.
        </p>
        <button type="button" class="primary" (click)="reload()">Reload</button>
      </msi-card-page>
    } @else {
      <router-outlet />
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly config = inject(ConfigService);
  protected reload(): void {
    window.location.reload();
  }
}
