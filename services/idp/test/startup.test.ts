// The kit's start-up on the built IDP: listening, SIGTERM, and the exit codes of docs/exit-codes.md.
import { describeDatabaseStartup, describeStartup } from '../../../test/support/startup.js';

describeStartup('idp', { API_CLIENT_SECRET: 'test-secret' });
describeDatabaseStartup('idp', { API_CLIENT_SECRET: 'test-secret' });
