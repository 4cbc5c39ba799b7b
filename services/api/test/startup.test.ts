// The kit's start-up on the built API: listening, SIGTERM, and the exit codes of docs/exit-codes.md.
import { describeStartup } from '../../../test/support/startup.js';

describeStartup('api', {
  API_CLIENT_SECRET: 'test-secret',
  IDP_ISSUER: 'http://127.0.0.1:9',
  CHROMA_URL: 'http://127.0.0.1:9',
});
