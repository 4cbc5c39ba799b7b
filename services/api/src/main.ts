// Entry point of the api service (`node services/api`): configured by the environment (README.md).
import { runService } from '@msi/kit';
import { API_BODY_LIMIT, buildApi, openApiData } from './app.js';
import { parseApiConfig } from './config.js';

await runService({
  name: 'api',
  config: parseApiConfig,
  http: { bodyLimit: API_BODY_LIMIT },
  open: openApiData,
  build: ({ cfg, data, app, log }) => buildApi(app, log, cfg, data),
});
