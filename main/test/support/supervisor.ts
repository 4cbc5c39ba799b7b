/** The options every supervisor test starts from: the dev layout, the offline model, a test client secret. */
import type { SupervisorOptions } from '../../src/node/supervisor/supervisor.js';
import { devLayout } from '../../src/node/layout.js';

export const testSupervisorOptions = (dataDir: string): SupervisorOptions => ({
  dataDir,
  layout: devLayout(),
  rendererOrigin: 'http://127.0.0.1:4200',
  apiClientSecret: 'test-client-secret-0123456789abcdef',
  model: { provider: 'offline', model: 'gpt-4o-mini', baseUrl: '' },
});
