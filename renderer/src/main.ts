import { bootstrapApplication } from '@angular/platform-browser';
import { appConfig } from './app/app.config';
import { App } from './app/app';

bootstrapApplication(App, appConfig).catch((error) => {
  console.error(error);
  document.body.textContent = `MSI Assistant could not start: ${error instanceof Error ? error.message : String(error)}`;
});
