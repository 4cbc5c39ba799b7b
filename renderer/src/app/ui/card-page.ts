import { ChangeDetectionStrategy, Component } from '@angular/core';

/** A page that is one centered card: sign-in, signing in, the app cannot start. */
@Component({
  selector: 'msi-card-page',
  template: `
    <main class="card-page" id="main" tabindex="-1">
      <div class="page-card"><ng-content /></div>
    </main>
  `,
  styles: `
    .card-page {
      display: grid;
      place-items: center;
      min-height: 100vh;
      padding: 2rem;
      outline: none;
    }
    .page-card {
      width: 420px;
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 16px;
      box-shadow: var(--shadow);
      padding: 2rem;
      text-align: center;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CardPage {}
