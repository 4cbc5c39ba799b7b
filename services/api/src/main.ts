// Entry point of the api service (`node services/api`): configuration from the environment, see DESIGN.md.
import { loadApiConfig } from './config.js';
import { startApi } from './app.js';

await startApi(loadApiConfig());
